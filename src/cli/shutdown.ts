/**
 * The one owner of process signals. The first SIGINT/SIGTERM starts an orderly shutdown; a second one,
 * or the force timer, ends the process at once.
 *
 * Ctrl-C under `npm start` reaches the bridge twice: the terminal signals the whole foreground process
 * group, and npm forwards its own copy to its child. So a repeat of the same signal within
 * `duplicateWindowMs` counts as the same request, not as the second one that forces.
 */
import type { Logger } from '../observability/logger.js';
import { EXIT } from './exit-codes.js';

/** What the signal owner stops, and how long it lets the stop take. */
export interface ShutdownOptions {
  logger: Logger;
  /** Orderly teardown; resolves true when everything stopped cleanly. */
  stop: () => Promise<boolean>;
  /** Longest time the orderly teardown may take before the process is ended. @default 30000 */
  forceAfterMs?: number;
  /** A repeat of the first signal this soon after it is the same request delivered twice. @default 1000 */
  duplicateWindowMs?: number;
  /** Ends the process; tests replace it. @default process.exit */
  exit?: (code: number) => void;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Installs the handlers; resolves with the exit code once shutdown has finished. */
export function onShutdownSignal(options: ShutdownOptions): Promise<number> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const window = options.duplicateWindowMs ?? 1000;
  return new Promise((resolve) => {
    let first: { signal: NodeJS.Signals; at: number } | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (code: number): void => {
      clearTimeout(timer);
      for (const s of SIGNALS) process.off(s, onSignal);
      resolve(code);
    };
    const force = (reason: string): void => {
      options.logger.error({ reason }, 'forced exit before shutdown finished');
      exit(EXIT.forced);
    };
    function onSignal(signal: NodeJS.Signals): void {
      if (first) {
        if (signal === first.signal && Date.now() - first.at < window) {
          options.logger.debug({ signal }, 'same signal again at once: taken as one request');
          return;
        }
        force(`second signal ${signal}`);
        return;
      }
      first = { signal, at: Date.now() };
      options.logger.info({ signal }, 'shutting down (send the signal again to force)');
      timer = setTimeout(() => force('shutdown took too long'), options.forceAfterMs ?? 30_000);
      timer.unref();
      void options.stop().then(
        (clean) => finish(clean ? EXIT.ok : EXIT.failure),
        () => finish(EXIT.failure),
      );
    }
    for (const s of SIGNALS) process.on(s, onSignal);
  });
}
