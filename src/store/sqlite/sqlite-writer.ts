/**
 * Runs a SQLite file's hot path (`SqliteHotPath`: batch transactions, outbox revisions and
 * acknowledgements) on a worker thread with a connection of its own, so that the statements, the
 * commits and the pages SQLite writes for them (about 30 µs of CPU per status at full speed,
 * bench/README.md's ninth round) leave the event loop: the stream's thread decodes and reduces the
 * next statuses meanwhile. Arguments and results cross by structured clone.
 *
 * Every write to the hot tables goes through this one connection, so its page cache stays valid
 * (SQLite drops a connection's cache whenever another connection has written the file). The adapter
 * sends one call at a time and holds its other connection meanwhile, so the two never wait for each
 * other's lock. A thread that dies fails the calls it held with `WriterThreadExitedError` (transient:
 * the batcher retries) and the next call starts a new one.
 */
import { Worker } from 'node:worker_threads';
import { StoreClosedError, WriterThreadExitedError } from '../errors.js';
import type { HotPathMethod, SqliteHotPath } from './sqlite-hot-path.js';
import type { SqliteDatabaseOptions } from './sqlite-database.js';

/** What the thread is started with. */
export interface WriterData {
  path: string;
  options: SqliteDatabaseOptions;
}

/** A hot-path call, or the end. */
export type WriterRequest =
  | {
      [M in HotPathMethod]: { type: 'call'; id: number; method: M; args: Parameters<SqliteHotPath[M]> };
    }[HotPathMethod]
  | { type: 'close' };

/** A call's outcome: its result, or what the statement or commit threw. */
export type WriterReply =
  | { id: number; value: unknown }
  | { id: number; error: { name: string; message: string; code: string | undefined } };

/** An error a call raised on the writer thread, with the driver's code (`SQLITE_BUSY`, …). */
export class SqliteWriterError extends Error {
  readonly code: string | undefined;

  constructor(error: { name: string; message: string; code: string | undefined }) {
    super(error.message);
    this.name = error.name;
    this.code = error.code;
  }
}

interface Waiter {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * The worker's module: the compiled JavaScript beside this file, or, when the bridge runs from its
 * TypeScript sources (tsx, vitest), `source-worker.mjs`, which registers tsx before importing the source.
 */
function workerEntry(): { url: URL; sourceEntry?: string } {
  if (!import.meta.url.endsWith('.ts')) return { url: new URL('./sqlite-writer-worker.js', import.meta.url) };
  const sourceEntry = new URL('./sqlite-writer-worker.ts', import.meta.url).href;
  return { url: new URL('./source-worker.mjs', import.meta.url), sourceEntry };
}

/** The client side of the writer thread. */
export class SqliteWriter {
  readonly #data: WriterData;
  #worker: Worker | undefined;
  readonly #waiting = new Map<number, Waiter>();
  #nextId = 0;
  #closing: Promise<void> | undefined;

  /** Starts the thread on `path` (an existing, migrated file) with the main connection's settings. */
  constructor(path: string, options: SqliteDatabaseOptions) {
    this.#data = { path, options };
    this.#worker = this.#start();
  }

  /** Runs `method` on the thread; resolves with its result. */
  call<M extends HotPathMethod>(
    method: M,
    args: Parameters<SqliteHotPath[M]>,
  ): Promise<ReturnType<SqliteHotPath[M]>> {
    if (this.#closing) return Promise.reject(new StoreClosedError());
    const worker = (this.#worker ??= this.#start());
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.#waiting.size === 0) worker.ref();
      this.#waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      try {
        worker.postMessage({ type: 'call', id, method, args });
      } catch (error: unknown) {
        // Arguments that cannot be cloned never reach the thread: nothing waits for an answer.
        this.#settled(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Lets the thread close its connection and end. Idempotent; never throws. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const worker = this.#worker;
      if (!worker) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.ref();
      worker.postMessage({ type: 'close' } satisfies WriterRequest);
      await exited;
    })();
    return this.#closing;
  }

  #start(): Worker {
    const { url, sourceEntry } = workerEntry();
    const worker = new Worker(url, { workerData: { ...this.#data, sourceEntry } });
    worker.on('message', (reply: WriterReply) => this.#answer(reply));
    // The exit that follows fails what it held, naming what ended the thread.
    let failure: string | undefined;
    worker.on('error', (error) => {
      failure = error.message;
    });
    worker.once('exit', (code) => {
      if (this.#worker === worker) this.#worker = undefined;
      const waiting = [...this.#waiting.values()];
      this.#waiting.clear();
      for (const waiter of waiting) waiter.reject(new WriterThreadExitedError(code, failure));
    });
    // Idle, it never keeps the process alive; a batch in flight does.
    worker.unref();
    return worker;
  }

  #answer(reply: WriterReply): void {
    const waiter = this.#waiting.get(reply.id);
    if (!waiter) return;
    this.#settled(reply.id);
    if ('value' in reply) waiter.resolve(reply.value);
    else waiter.reject(new SqliteWriterError(reply.error));
  }

  /** Forgets a call; with none left, the thread no longer keeps the process alive. */
  #settled(id: number): void {
    this.#waiting.delete(id);
    if (this.#waiting.size === 0) this.#worker?.unref();
  }
}
