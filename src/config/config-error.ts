/**
 * Where a setting came from, and the error that names it. A user who mistyped a value needs to know
 * which of the three places to fix: the command line, the environment, or a key in the config file.
 */
import { CodedError } from '../lifecycle/coded-error.js';

/** The origin of one configuration value. */
export type SettingSource =
  | { kind: 'flag'; name: string }
  | { kind: 'env'; name: string }
  | { kind: 'file'; key: string; path: string };

/** A configuration value together with where it came from. */
export interface Sourced<T> {
  value: T;
  source: SettingSource;
}

/** How a source is named in messages: `--http-addr`, `BRIDGE_HTTP_ADDR`, `redis.address in config file x.json`. */
export function describeSource(source: SettingSource): string {
  if (source.kind === 'file') return `${source.key} in config file ${source.path}`;
  return source.name;
}

/**
 * An invalid setting. The message starts with the setting's source when there is one; errors about a
 * combination of settings name them in the reason instead.
 */
export class ConfigError extends CodedError<'INVALID_CONFIG'> {
  readonly source: SettingSource | undefined;
  constructor(source: SettingSource | undefined, reason: string) {
    super('INVALID_CONFIG', source ? `${describeSource(source)}: ${reason}` : reason);
    this.source = source;
  }
}

/** A command-line flag as a source. */
export function flag(name: string): SettingSource {
  return { kind: 'flag', name };
}

/** An environment variable as a source. */
export function envVar(name: string): SettingSource {
  return { kind: 'env', name };
}

/**
 * The flag's value if it was given, else the environment variable's if it is set and not empty, else
 * undefined. An empty variable counts as unset, as in the original bridge.
 */
export function flagOrEnv(
  flagValue: string | undefined,
  flagName: string,
  env: Readonly<Record<string, string | undefined>>,
  envName: string,
): Sourced<string> | undefined {
  if (flagValue !== undefined) return { value: flagValue, source: flag(flagName) };
  const fromEnv = env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: envVar(envName) };
  return undefined;
}

/** Runs `parse` on the value; any error it throws becomes a ConfigError naming the setting's source. */
export function parseSetting<T, R>(setting: Sourced<T>, parse: (value: T) => R): R {
  try {
    return parse(setting.value);
  } catch (error: unknown) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(setting.source, error instanceof Error ? error.message : String(error));
  }
}
