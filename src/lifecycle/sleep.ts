import { abortError } from './abort.js';

/**
 * Waits `ms` milliseconds. Rejects with an AbortError as soon as `signal` fires, so loops that
 * sleep between iterations stop at once on shutdown.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Like `sleep`, but resolves early instead of rejecting when `signal` fires (retry waits on shutdown). */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, signal);
  } catch (error: unknown) {
    if (!signal.aborted) throw error;
  }
}
