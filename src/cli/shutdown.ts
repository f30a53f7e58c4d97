/**
 * The one owner of process signals. The first SIGINT/SIGTERM starts an orderly shutdown; a second one,
 * or the force timer, ends the process at once.
 */
import type { Logger } from '../observability/logger.js';
import { EXIT } from './exit-codes.js';

export interface ShutdownOptions {
  logger: Logger;
  /** Orderly teardown; resolves true when everything stopped cleanly. */
  stop: () => Promise<boolean>;
  /** Longest time the orderly teardown may take before the process is ended. @default 30000 */
  forceAfterMs?: number;
}

/** Installs the handlers; resolves with the exit code once shutdown has finished. */
export function onShutdownSignal(options: ShutdownOptions): Promise<number> {
  return new Promise((resolve) => {
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
    const first = (signal: NodeJS.Signals): void => {
      for (const s of signals) process.off(s, first);
      options.logger.info({ signal }, 'shutting down (send the signal again to force)');
      const force = (): void => {
        options.logger.error('forced exit before shutdown finished');
        process.exit(EXIT.forced);
      };
      for (const s of signals) process.once(s, force);
      const timer = setTimeout(force, options.forceAfterMs ?? 30_000);
      timer.unref();
      void options.stop().then(
        (clean) => {
          clearTimeout(timer);
          resolve(clean ? EXIT.ok : EXIT.failure);
        },
        () => {
          clearTimeout(timer);
          resolve(EXIT.failure);
        },
      );
    };
    for (const s of signals) process.once(s, first);
  });
}
