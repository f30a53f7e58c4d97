/**
 * The fencing tokens of the leases this replica holds, as the write path sends them with every
 * batch. Kept by the lease manager, read by the sync engine: a small shared object instead of a
 * dependency between the two.
 */
import type { BatchOptions } from '../store/ports.js';

/** See the module comment. */
export class LeaseTokens {
  readonly #holder: string;
  readonly #epochs = new Map<string, bigint>();

  constructor(holder: string) {
    this.#holder = holder;
  }

  /** Records a lease taken with this epoch. */
  set(name: string, epoch: bigint): void {
    this.#epochs.set(name, epoch);
  }

  /** Forgets a lease handed back or lost: writes under it are fenced from now on. */
  delete(name: string): void {
    this.#epochs.delete(name);
  }

  /** The fence of the next batch: every lease held now, with its epoch. */
  fence(): NonNullable<BatchOptions['fence']> {
    return { holder: this.#holder, epochs: new Map(this.#epochs) };
  }
}
