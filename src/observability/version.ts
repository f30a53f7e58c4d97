/** The bridge's version, as `--version` prints it and traces report it. */
import { readFileSync } from 'node:fs';

let version: string | undefined;

/** The package version from package.json (two folders up from both src/observability and dist/observability). */
export function packageVersion(): string {
  version ??= (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return version;
}
