/**
 * Process warnings the user can do nothing about. grpc-js hands the host of an IP target (the CLI's
 * `--addr 127.0.0.1:8080` with `--tls-ca`) or an IP `WSMAN_TLS_SERVER_NAME` to TLS as the server name,
 * and Node warns that RFC 6066 forbids IP addresses there (DEP0123). The certificate is still checked
 * against the IP, so the connection is as safe as it looks; the warning only confuses.
 */

/** Warning codes dropped before Node prints them. */
export const SILENCED_WARNINGS: ReadonlySet<string> = new Set(['DEP0123']);

/** The code of a warning, from either calling convention of `process.emitWarning`. */
function codeOf(warning: string | Error, rest: unknown[]): string | undefined {
  if (typeof warning === 'object' && 'code' in warning && typeof warning.code === 'string')
    return warning.code;
  const [typeOrOptions, code] = rest;
  if (typeof code === 'string') return code;
  if (typeOrOptions && typeof typeOrOptions === 'object' && 'code' in typeOrOptions) {
    const fromOptions = (typeOrOptions as { code?: unknown }).code;
    return typeof fromOptions === 'string' ? fromOptions : undefined;
  }
  return undefined;
}

/** Makes `process.emitWarning` drop the warnings in SILENCED_WARNINGS; every other warning is printed. */
export function silenceUnactionableWarnings(): void {
  const emit = process.emitWarning.bind(process) as (warning: string | Error, ...rest: unknown[]) => void;
  const filtered = (warning: string | Error, ...rest: unknown[]): void => {
    const code = codeOf(warning, rest);
    if (code !== undefined && SILENCED_WARNINGS.has(code)) return;
    emit(warning, ...rest);
  };
  process.emitWarning = filtered;
}
