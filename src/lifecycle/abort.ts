/** Helpers to tell our own cancellations apart from failures. */

/** True for errors raised because an AbortSignal fired (ours, not a failure). */
export function isAbortError(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'AbortError' || (error as { code?: unknown }).code === 'ABORT_ERR')
  );
}

/** An AbortError carrying the signal's reason. */
export function abortError(signal: AbortSignal): Error {
  const err = new Error('operation aborted', { cause: signal.reason });
  err.name = 'AbortError';
  return err;
}

/** Short, secret-free description of an unknown thrown value for logs and counters. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Resolves or rejects with `work`, or rejects with an AbortError once `signal` fires first (the work
 * itself goes on; the caller only stops waiting).
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
