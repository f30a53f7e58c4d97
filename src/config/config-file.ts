/** Reads the original bridge's JSON config file; every error names the file, and the line or key. */
import { readFileSync } from 'node:fs';
import type { ZodError } from 'zod';
import { ConfigError, type Sourced } from './config-error.js';
import { configFileSchema, type ConfigFile } from './file-schema.js';
import { findJsonSyntaxError } from './json-syntax.js';

/** `staticBridges[0].name` for zod's path `['staticBridges', 0, 'name']`. */
function keyOf(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

function schemaError(path: string, error: ZodError): ConfigError {
  const issue = error.issues[0];
  if (!issue) return new ConfigError(undefined, `config file ${path} is not valid`);
  if (issue.code === 'unrecognized_keys') {
    const key = keyOf([...issue.path, issue.keys[0] ?? '']);
    return new ConfigError({ kind: 'file', path, key }, 'unknown key (see docs/configuration.md)');
  }
  const reason = issue.message.replace(/^Invalid input: /, '');
  if (issue.path.length === 0) return new ConfigError(undefined, `config file ${path}: ${reason}`);
  return new ConfigError({ kind: 'file', path, key: keyOf(issue.path) }, reason);
}

/**
 * Reads and validates the file at `setting.value` (given by `--config` or `WSMAN_BRIDGE_CONFIGPATH`).
 * Throws ConfigError: unreadable (naming the setting), invalid JSON (naming line and column), or a key
 * the schema refuses (naming the key).
 */
export function readConfigFile(setting: Sourced<string>): ConfigFile {
  const path = setting.value;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(setting.source, `cannot read config file ${path} (${code})`);
  }
  // Editors on some systems save a byte-order mark, which JSON.parse refuses.
  text = text.replace(/^\uFEFF/, '');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error: unknown) {
    const found = findJsonSyntaxError(text);
    const where = found
      ? `line ${found.line}, column ${found.column}: ${found.reason}`
      : (error as Error).message;
    throw new ConfigError(undefined, `config file ${path} is not valid JSON: ${where}`);
  }
  const parsed = configFileSchema.safeParse(json);
  if (!parsed.success) throw schemaError(path, parsed.error);
  return parsed.data;
}
