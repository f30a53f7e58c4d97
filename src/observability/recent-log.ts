/**
 * The last warn and error lines of the process logger, for the status page. Lines are taken from the
 * logger's output stream, after pino has serialised and redacted them, so a secret the logger hides
 * is hidden here too.
 */

/** One remembered log line. */
export interface RecentLogEntry {
  /** ISO time of the line. */
  time: string;
  /** `warn`, `error` or `fatal`. */
  level: string;
  msg: string;
  /** The line's other fields as compact JSON (truncated), or '' when it has none. */
  detail: string;
}

/** Fields every line carries, left out of `detail`. */
const FRAME_FIELDS = new Set(['level', 'time', 'msg', 'name']);

/** pino's numeric levels for the ones kept here. */
const LEVEL_NAMES: Readonly<Record<number, string>> = { 40: 'warn', 50: 'error', 60: 'fatal' };

/** Longest `detail` kept; a whole status logged by mistake must not fill the page. */
const DETAIL_MAX = 400;

/** Options of {@link RecentLog}. */
export interface RecentLogOptions {
  /** Lines kept; older ones are dropped. @default 20 */
  capacity?: number;
}

/** A ring of the last warn/error lines, fed by the logger as a pino stream (`write(line)`). */
export class RecentLog {
  readonly #capacity: number;
  readonly #entries: RecentLogEntry[] = [];
  #total = 0;

  constructor(options: RecentLogOptions = {}) {
    this.#capacity = Math.max(1, options.capacity ?? 20);
  }

  /** Lines seen since start, including those no longer kept. */
  get total(): number {
    return this.#total;
  }

  /** The kept lines, newest first. */
  entries(): RecentLogEntry[] {
    return [...this.#entries].reverse();
  }

  /** Takes serialised JSON lines (one or several, newline-terminated); never throws. */
  write(chunk: string): void {
    for (const text of chunk.split('\n')) {
      const entry = parseLine(text);
      if (!entry) continue;
      this.#total += 1;
      this.#entries.push(entry);
      if (this.#entries.length > this.#capacity) this.#entries.shift();
    }
  }
}

function parseLine(text: string): RecentLogEntry | undefined {
  if (text.trim() === '') return undefined;
  let line: Record<string, unknown>;
  try {
    line = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { time: new Date().toISOString(), level: 'warn', msg: text.slice(0, DETAIL_MAX), detail: '' };
  }
  const rest = Object.fromEntries(Object.entries(line).filter(([key]) => !FRAME_FIELDS.has(key)));
  const detail = Object.keys(rest).length > 0 ? JSON.stringify(rest) : '';
  const time =
    typeof line.time === 'string' ? line.time : new Date(Number(line.time) || Date.now()).toISOString();
  return {
    time,
    level: LEVEL_NAMES[Number(line.level)] ?? String(line.level),
    msg: typeof line.msg === 'string' ? line.msg : '',
    detail: detail.length > DETAIL_MAX ? `${detail.slice(0, DETAIL_MAX)}…` : detail,
  };
}
