/** Errors of the store adapters (besides `ClusterExistsError`, which is part of the port). */
import { CodedError } from '../lifecycle/coded-error.js';

/** Thrown by `writeBatch` when one instance id appears twice in a batch (a caller bug; nothing is written). */
export class DuplicateWriteError extends CodedError<'DUPLICATE_WRITE'> {
  constructor(instanceId: string) {
    super(
      'DUPLICATE_WRITE',
      `instance "${instanceId}" appears twice in one batch; coalesce writes per instance before writeBatch`,
    );
  }
}

/** Thrown by any store method called after `close()`. */
export class StoreClosedError extends CodedError<'STORE_CLOSED'> {
  constructor() {
    super('STORE_CLOSED', 'the store is closed');
  }
}

/** Thrown by `openStore` for a DATABASE_URL it does not understand (the message never contains a password). */
export class InvalidDatabaseUrlError extends CodedError<'INVALID_DATABASE_URL'> {
  constructor(message: string) {
    super('INVALID_DATABASE_URL', message);
  }
}

/**
 * The SQLite writer thread ended (crashed or closed) before it answered a batch, which may or may not
 * have committed. Transient: the batch is retried (its writes are versioned, so a repeat is harmless).
 */
export class WriterThreadExitedError extends CodedError<'SQLITE_WRITER_EXITED'> {
  /** `cause`: the message of the error that ended the thread, if one did. */
  constructor(exitCode: number, cause?: string) {
    const why = cause === undefined ? '' : `: ${cause}`;
    super(
      'SQLITE_WRITER_EXITED',
      `the SQLite writer thread exited (code ${exitCode}) before answering${why}`,
    );
  }
}
