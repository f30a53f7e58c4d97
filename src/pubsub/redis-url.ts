/** Parsing of `REDIS_URL` into connection settings, with errors that never echo a password. */
import { CodedError } from '../lifecycle/coded-error.js';
import { isIP } from 'node:net';

/** Connection settings taken from a `redis://` or `rediss://` URL. */
export interface RedisTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** Logical database number. @default 0 */
  db: number;
  /** True for `rediss://`. */
  tls: boolean;
  /** Server name for TLS SNI (undefined when the host is an IP literal). */
  servername?: string;
}

/** Thrown for a `REDIS_URL` that cannot be used; the message says what to fix and omits secrets. */
export class InvalidRedisUrlError extends CodedError<'INVALID_REDIS_URL'> {
  constructor(reason: string) {
    super('INVALID_REDIS_URL', `invalid REDIS_URL: ${reason}`);
  }
}

const EXPECTED = 'expected redis://[user:password@]host[:port][/db] or rediss://...';

/** Parses a Redis URL. Throws `InvalidRedisUrlError` (without the URL's password) when it is unusable. */
export function parseRedisUrl(raw: string): RedisTarget {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    // The text may hold a password in a shape URL cannot parse, so it is not repeated here.
    throw new InvalidRedisUrlError(`not a URL (${EXPECTED})`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new InvalidRedisUrlError(`unsupported scheme "${url.protocol}" (${EXPECTED})`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new InvalidRedisUrlError(`missing host (${EXPECTED})`);
  if (url.search !== '') throw new InvalidRedisUrlError('query parameters are not supported');
  const tls = url.protocol === 'rediss:';
  const target: RedisTarget = {
    host,
    port: url.port === '' ? 6379 : Number(url.port),
    db: parseDb(url.pathname),
    tls,
  };
  if (url.username !== '') target.username = decodeURIComponent(url.username);
  if (url.password !== '') target.password = decodeURIComponent(url.password);
  if (tls && isIP(host) === 0) target.servername = host;
  return target;
}

function parseDb(pathname: string): number {
  const text = pathname.replace(/^\//, '');
  if (text === '') return 0;
  if (!/^\d{1,5}$/.test(text)) {
    throw new InvalidRedisUrlError(`the path must be a database number, got "/${text}"`);
  }
  return Number(text);
}

/** A user name and password given apart from the URL (`REDIS_USERNAME`, `REDIS_PASSWORD`). */
export interface RedisCredentials {
  username?: string;
  password?: string;
}

/**
 * The URL with the given credentials in its user info, percent-encoded so that `parseRedisUrl` gives
 * them back exactly (a `%`, `@` or `:` in a password included). Parts not given are kept as they are.
 * Throws `InvalidRedisUrlError` for an unusable URL, without echoing it.
 */
export function redisUrlWithCredentials(raw: string, credentials: RedisCredentials): string {
  parseRedisUrl(raw);
  const url = new URL(raw.trim());
  if (credentials.username !== undefined) url.username = encodeURIComponent(credentials.username);
  if (credentials.password !== undefined) url.password = encodeURIComponent(credentials.password);
  return url.toString();
}

/** Replaces every occurrence of `secret` in `text` (for error messages from the client library). */
export function scrubSecret(text: string, secret: string | undefined): string {
  if (secret === undefined || secret === '') return text;
  return text.split(secret).join('***');
}
