/** Errors the simulated ws-manager raises; the gRPC edge maps their codes to status codes. */
import { CodedError } from '../../lifecycle/coded-error.js';

/** Stable codes of simulator errors, named after the gRPC status each one becomes. */
export const SimulatorErrorCode = {
  invalidArgument: 'invalid-argument',
  alreadyExists: 'already-exists',
  notFound: 'not-found',
  failedPrecondition: 'failed-precondition',
} as const;

/** One of `SimulatorErrorCode`. */
export type SimulatorErrorCode = (typeof SimulatorErrorCode)[keyof typeof SimulatorErrorCode];

/** A request the simulator refuses; `code` says why, the message says what to fix. */
export class SimulatorError extends CodedError<SimulatorErrorCode> {}

/** True for errors raised by the simulator (as opposed to bugs). */
export function isSimulatorError(error: unknown): error is SimulatorError {
  return error instanceof SimulatorError;
}
