/** Runs async work one at a time per key; different keys run concurrently. */

/** A serial queue per key. Keys are forgotten as soon as their queue runs empty. */
export class KeyedSerialQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Number of keys with queued or running work. */
  get activeKeys(): number {
    return this.#tails.size;
  }

  /**
   * Runs `work` after every earlier `run` of the same key has settled. Resolves or rejects with
   * the outcome of `work`; a failure never blocks the work queued behind it.
   */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(work);
    // Only the last link of a chain may remove the key; a newer run has replaced it otherwise.
    // Registered before the caller can await `result`, so the key is gone when the caller resumes.
    const forget = (): void => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
    const tail: Promise<void> = result.then(forget, forget);
    this.#tails.set(key, tail);
    return result;
  }
}
