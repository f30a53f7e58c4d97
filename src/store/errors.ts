/** Errors of the store adapters (besides `ClusterExistsError`, which is part of the port). */

/** Thrown by `writeBatch` when one instance id appears twice in a batch (a caller bug; nothing is written). */
export class DuplicateWriteError extends Error {
  readonly code = 'DUPLICATE_WRITE';
  constructor(instanceId: string) {
    super(
      `instance "${instanceId}" appears twice in one batch; coalesce writes per instance before writeBatch`,
    );
    this.name = 'DuplicateWriteError';
  }
}

/** Thrown by any store method called after `close()`. */
export class StoreClosedError extends Error {
  readonly code = 'STORE_CLOSED';
  constructor() {
    super('the store is closed');
    this.name = 'StoreClosedError';
  }
}

/** Thrown by `openStore` for a DATABASE_URL it does not understand (the message never contains a password). */
export class InvalidDatabaseUrlError extends Error {
  readonly code = 'INVALID_DATABASE_URL';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDatabaseUrlError';
  }
}
