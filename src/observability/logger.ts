import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths that may carry secrets. pino replaces them before a line is written, so owner tokens,
 * TLS keys and passwords never reach a log even when a whole object is logged by mistake.
 */
export const REDACTED_PATHS = [
  'ownerToken',
  '*.ownerToken',
  '*.*.ownerToken',
  'owner_token',
  '*.owner_token',
  'auth',
  '*.auth',
  'tls',
  '*.tls',
  'key',
  '*.key',
  'password',
  '*.password',
  'token',
  '*.token',
];

export interface LoggerSettings {
  /** pino level name. @default 'info' */
  level: string;
  /** Pretty one-line output for humans instead of JSON lines. @default false */
  pretty?: boolean;
  /** Where lines go. @default stdout */
  destination?: NodeJS.WritableStream;
}

/** Creates the process logger: JSON lines with secret paths redacted. */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name: 'ws-manager-bridge',
    level: settings.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A logger that discards everything (tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
