/** A sleep that another part of the program can cut short. */

/** Lets a loop wait for work (or a delay) and be woken as soon as work arrives or shutdown begins. */
export class Wakeup {
  #wake: (() => void) | undefined;

  /** True while someone waits. */
  get waiting(): boolean {
    return this.#wake !== undefined;
  }

  /**
   * Resolves after `ms` (never for `Infinity`), on {@link wake}, or when `signal` aborts, whichever
   * comes first. Never rejects: the caller checks `signal.aborted` afterwards.
   */
  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(done, Math.max(0, ms)) : undefined;
      signal.addEventListener('abort', done, { once: true });
      this.#wake = done;
    });
  }

  /** Ends the current wait, if any. */
  wake(): void {
    this.#wake?.();
  }
}
