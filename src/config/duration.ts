/** Human durations at the config edge ("250ms", "30s", "5m", "1h"); the code only sees milliseconds. */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration. A bare number is taken in `defaultUnit`. Throws a message naming the accepted
 * forms when the text is not a non-negative duration.
 */
export function parseDuration(value: string | number, defaultUnit: 'ms' | 's' = 'ms'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new Error(`invalid duration ${value}: must be >= 0`);
    return Math.round(value * (UNITS[defaultUnit] ?? 1));
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!match) throw new Error(`invalid duration "${value}": use a number with ms, s, m or h (e.g. "30s")`);
  const unit = match[2] ?? defaultUnit;
  return Math.round(Number(match[1]) * (UNITS[unit] ?? 1));
}

/** Splits "host:port" (IPv6 hosts in brackets). Throws when the port is not 0..65535. */
export function parseHostPort(value: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(value.trim());
  if (!match) throw new Error(`invalid address "${value}": use host:port (e.g. 127.0.0.1:9500)`);
  const port = Number(match[2]);
  if (port > 65535) throw new Error(`invalid port in "${value}"`);
  return { host: match[1] || '127.0.0.1', port };
}
