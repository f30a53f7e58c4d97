/**
 * Checkpoints a SQLite file's write-ahead log on a worker thread, with a connection of its own, so
 * that copying the log back into the database (and its fsync) never stalls the event loop.
 *
 * Without it, SQLite checkpoints inside the commit that grows the log past `wal_autocheckpoint`
 * pages: better-sqlite3 is synchronous, so every status arriving meanwhile waits, and at 1,000
 * statuses/s those stalls (up to 70 ms, one every second or so) were the whole of the latency's
 * 99th percentile. A PASSIVE checkpoint runs beside the writer (WAL lets a checkpointer and a writer
 * work at once) and never waits for a lock. Under a steady load it rarely finds the log complete, so
 * the log would only grow: once it is `restartPages` long, the worker follows the PASSIVE with a
 * RESTART checkpoint, which takes the write lock only when it is free and holds it while it copies
 * the frames of the commits made since (waiting for the log to be complete first let it grow until
 * the writer's fallback checkpointed inside a commit again). The writer keeps an autocheckpoint as the fallback, should the worker
 * be gone.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The worker's source (CommonJS; `require` resolves the same better-sqlite3 as the main thread's). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma('synchronous = NORMAL');
const checkpoint = () => {
  try {
    const [done] = db.pragma('wal_checkpoint(PASSIVE)');
    // A long log: start it over. RESTART takes the write lock only if it is free (busy_timeout 0)
    // and holds it while it copies what the commits since the PASSIVE just now added.
    if (done.log >= workerData.restartPages) {
      db.pragma('wal_checkpoint(RESTART)');
    }
  } catch {
    // Busy or gone: the next round, or the writer's own autocheckpoint, does it.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/** A running checkpoint worker; `close()` ends it. */
export class SqliteCheckpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  #closing: Promise<void> | undefined;

  /** Starts checkpointing `path` (a file in WAL mode) every `intervalMs`. */
  constructor(path: string, options: { intervalMs: number; restartPages: number }) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, ...options } });
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    // A worker that cannot open the file ends; the writer's autocheckpoint then does all the work.
    this.#worker.on('error', () => undefined);
    // It never keeps the process alive by itself.
    this.#worker.unref();
  }

  /** Runs a last checkpoint and ends the worker. Idempotent; never throws. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Held again, so that the process waits for the worker's last checkpoint.
      this.#worker.ref();
      try {
        this.#worker.postMessage('stop');
      } catch {
        // Already gone.
      }
      await this.#exited;
    })();
    return this.#closing;
  }
}
