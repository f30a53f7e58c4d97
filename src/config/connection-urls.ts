/**
 * DATABASE_URL and REDIS_URL checked when the configuration is loaded, so that a typo is a usage error
 * naming its source (exit 2) rather than a failure halfway through the start.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseRedisUrl, redisUrlWithCredentials } from '../pubsub/redis-url.js';
import { DEFAULT_SQLITE_PATH, parseDatabaseUrl } from '../store/open-store.js';
import { ConfigError, describeSource, envVar, parseSetting, type Sourced } from './config-error.js';

/**
 * Checks a database URL. A SQLite file outside the default `./data` must be in an existing folder: a
 * mistyped path should fail, not quietly create a fresh empty database somewhere else.
 */
export function checkDatabaseUrl(setting: Sourced<string> | undefined): string | undefined {
  if (!setting) return undefined;
  const target = parseSetting(setting, parseDatabaseUrl);
  if (target.kind === 'sqlite' && target.path !== ':memory:' && target.path !== DEFAULT_SQLITE_PATH) {
    const folder = dirname(target.path);
    if (!existsSync(folder)) {
      throw new ConfigError(
        setting.source,
        `the folder ${folder} does not exist; create it first (only the default ${dirname(DEFAULT_SQLITE_PATH)} is created)`,
      );
    }
  }
  return setting.value;
}

/** The Redis client's message starts with its own name for the setting, which the source replaces. */
function redisReason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/^invalid REDIS_URL: /, '');
}

/** Checks a Redis URL from a flag or the environment. */
export function checkRedisUrl(setting: Sourced<string>): string {
  try {
    parseRedisUrl(setting.value);
  } catch (error: unknown) {
    throw new ConfigError(setting.source, redisReason(error));
  }
  return setting.value;
}

/** Turns the config file's `redis.address` (host:port, as the original writes it) into a Redis URL. */
export function redisUrlFromAddress(setting: Sourced<string>): string {
  const url = `redis://${setting.value}`;
  try {
    parseRedisUrl(url);
  } catch {
    // Not echoed: a mistyped address may well hold a password.
    throw new ConfigError(setting.source, 'not a Redis address; use host:port, e.g. redis:6379');
  }
  return url;
}

/**
 * Adds `REDIS_USERNAME` and `REDIS_PASSWORD` (as the original reads them) to the Redis URL. A URL that
 * already carries a different user name or password is an error rather than a silent choice, and so
 * are credentials without any Redis configured. Messages never contain the values.
 */
export function withRedisCredentials(
  url: Sourced<string> | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const username = env.REDIS_USERNAME || undefined;
  const password = env.REDIS_PASSWORD || undefined;
  if (username === undefined && password === undefined) return url?.value;
  const given = password === undefined ? 'REDIS_USERNAME' : 'REDIS_PASSWORD';
  if (!url) {
    throw new ConfigError(
      envVar(given),
      "is set but no Redis is configured; set REDIS_URL or the config file's redis.address",
    );
  }
  const inUrl = parseRedisUrl(url.value);
  const differs = (name: string, fromUrl: string | undefined, fromEnv: string | undefined): void => {
    if (fromUrl !== undefined && fromEnv !== undefined && fromUrl !== fromEnv) {
      throw new ConfigError(
        undefined,
        `${name} and the one in ${describeSource(url.source)} differ; give it in one place`,
      );
    }
  };
  differs('REDIS_USERNAME', inUrl.username, username);
  differs('REDIS_PASSWORD', inUrl.password, password);
  if ((password ?? inUrl.password) === undefined) {
    throw new ConfigError(
      envVar('REDIS_USERNAME'),
      'needs a password (REDIS_PASSWORD): Redis does not authenticate a user name alone',
    );
  }
  return redisUrlWithCredentials(url.value, { username, password });
}
