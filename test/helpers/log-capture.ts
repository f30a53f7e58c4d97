/** A real pino logger whose JSON lines a test can read and wait for. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/observability/logger.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export class LogCapture {
  readonly lines: LogLine[] = [];
  readonly raw: string[] = [];
  readonly logger: Logger;
  readonly #waiters: { predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];

  constructor(level = 'debug') {
    const destination = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.#add(chunk.toString('utf8'));
        callback();
      },
    });
    this.logger = createLogger({ level, destination });
  }

  /** Lines whose message contains `text`. */
  matching(text: string): LogLine[] {
    return this.lines.filter((line) => line.msg.includes(text));
  }

  /** Resolves with the first line (already written or future) whose message contains `text`. */
  waitFor(text: string): Promise<LogLine> {
    const predicate = (line: LogLine): boolean => line.msg.includes(text);
    const found = this.lines.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ predicate, resolve }));
  }

  #add(text: string): void {
    for (const raw of text.split('\n').filter((l) => l.trim() !== '')) {
      const line = JSON.parse(raw) as LogLine;
      this.raw.push(raw);
      this.lines.push(line);
      for (const waiter of this.#waiters.filter((w) => w.predicate(line))) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  }
}
