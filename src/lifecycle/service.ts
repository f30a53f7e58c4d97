/**
 * The shape every long-lived part of the bridge has: started once, stopped once, its state visible
 * for health, readiness and metrics. Parts with a richer lifecycle (a cluster stream) widen `State`.
 */

/** States every service goes through, in this order. */
export const SERVICE_STATES = ['idle', 'starting', 'running', 'stopping', 'stopped'] as const;

/** One of {@link SERVICE_STATES}. */
export type ServiceState = (typeof SERVICE_STATES)[number];

/** A long-lived part. `start()` and `stop()` are idempotent; `stop()` waits until the part has ended. */
export interface Service<State extends string = ServiceState> {
  readonly state: State;
  /** Starts the part; resolves once it runs (some parts after their first round of work). */
  start(): Promise<void>;
  /** Stops the part; resolves once nothing of it runs any more. */
  stop(): Promise<void>;
}
