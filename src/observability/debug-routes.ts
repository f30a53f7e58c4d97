/**
 * The debug endpoint's route, as the original's: `POST /debug/logging` with `{"level": "debug"}`
 * changes the process log level at run time; `GET` shows it.
 */
import { jsonReply, textReply, type HttpReply, type HttpRoute } from './http-server.js';
import { LOG_LEVELS, parseLogLevel, type Logger } from './logger.js';

const USAGE = `send {"level": "<level>"} with one of ${LOG_LEVELS.join(', ')}`;

function setLevel(logger: Logger, body: string): HttpReply {
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    return textReply(400, `the body is not JSON; ${USAGE}`);
  }
  const level = (request as { level?: unknown } | null)?.level;
  if (typeof level !== 'string') return textReply(400, `the body has no "level" string; ${USAGE}`);
  try {
    parseLogLevel(level);
  } catch (error: unknown) {
    return textReply(400, (error as Error).message);
  }
  const previous = logger.level;
  logger.level = level;
  // Logged at warn, so that the change shows whatever the new level is (unless silent).
  logger.warn({ logLevel: level, previous }, 'log level changed through the debug endpoint');
  return jsonReply(200, { level, previous });
}

/** `/debug/logging` on `logger` (the process root: child loggers without their own level follow it). */
export function debugRoutes(logger: Logger): Record<string, HttpRoute> {
  return {
    '/debug/logging': {
      methods: ['GET', 'POST'],
      handle: ({ method, body }) =>
        method === 'POST' ? setLevel(logger, body) : jsonReply(200, { level: logger.level }),
    },
  };
}
