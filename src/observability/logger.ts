import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pinoPretty from 'pino-pretty';
import type { RecentLog } from './recent-log.js';

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
  /** Also keeps the last warn and error lines here (redacted like every line), for the status page. */
  recent?: RecentLog;
}

/**
 * Creates the process logger: JSON lines with secret paths redacted. Its level can be changed at run
 * time (`logger.level = …`); child loggers without a level of their own follow it.
 */
export function createLogger(settings: LoggerSettings): Logger {
  const output = outputStream(settings);
  if (!settings.recent) return pino(baseOptions(settings), output);
  // Every line the level lets through goes to the output; warn and above also to the recent-lines ring.
  return pino(
    baseOptions(settings),
    pino.multistream([
      { level: 'trace', stream: output },
      { level: 'warn', stream: settings.recent },
    ]),
  );
}

function outputStream(settings: LoggerSettings): DestinationStream {
  if (settings.pretty) {
    // Synchronous so that lines written just before exit are not lost; fine at human volumes.
    const destination = settings.destination === process.stderr ? 2 : 1;
    return pinoPretty({
      sync: true,
      destination,
      ignore: 'name',
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
    });
  }
  // The same asynchronous stdout stream pino opens by default (flushed at exit).
  return settings.destination ?? pino.destination({ dest: process.stdout.fd || 1 });
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
