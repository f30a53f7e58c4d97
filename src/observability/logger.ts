import { pino, type Logger, type LoggerOptions } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger };

/** The levels `LOG_LEVEL` accepts: pino's, from most to least verbose. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** One of LOG_LEVELS. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Checks a level name; throws a message listing the accepted ones (pino's own names its internals). */
export function parseLogLevel(value: string): LogLevel {
  const level = LOG_LEVELS.find((l) => l === value);
  if (!level) throw new Error(`unknown log level "${value}"; use ${LOG_LEVELS.join(', ')}`);
  return level;
}

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
  if (settings.pretty) {
    // Synchronous so that lines written just before exit are not lost; fine at human volumes.
    const destination = settings.destination === process.stderr ? 2 : 1;
    return pino(
      baseOptions(settings),
      pinoPretty({
        sync: true,
        destination,
        ignore: 'name',
        singleLine: true,
        translateTime: 'SYS:HH:MM:ss.l',
      }),
    );
  }
  const options = baseOptions(settings);
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

function baseOptions(settings: LoggerSettings): LoggerOptions {
  return {
    name: 'ws-manager-bridge',
    level: settings.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

/** A logger that discards everything (tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
