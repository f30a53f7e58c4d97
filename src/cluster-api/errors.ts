/**
 * Domain errors of the cluster API. Each carries a stable `code`; only `grpc-status.ts` turns them
 * into gRPC statuses. Messages say what to fix and never contain TLS material or tokens.
 */
import { CodedError } from '../lifecycle/coded-error.js';

/** The request is malformed: a field is missing, too long or out of range. */
export class InvalidArgumentError extends CodedError<'INVALID_ARGUMENT'> {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** The named cluster does not exist. */
export class NotFoundError extends CodedError<'NOT_FOUND'> {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** A cluster with that name or URL exists already. */
export class AlreadyExistsError extends CodedError<'ALREADY_EXISTS'> {
  constructor(message: string) {
    super('ALREADY_EXISTS', message);
  }
}

/** The request is valid but the cluster's state forbids it (unreachable, not empty, static). */
export class FailedPreconditionError extends CodedError<'FAILED_PRECONDITION'> {
  constructor(message: string) {
    super('FAILED_PRECONDITION', message);
  }
}

/** The caller did not present valid credentials. */
export class UnauthenticatedError extends CodedError<'UNAUTHENTICATED'> {
  constructor(message: string) {
    super('UNAUTHENTICATED', message);
  }
}

/** The service is shutting down and no longer takes requests. */
export class ServiceStoppingError extends CodedError<'SERVICE_STOPPING'> {
  constructor() {
    super('SERVICE_STOPPING', 'the cluster service is shutting down; retry against a running bridge');
  }
}

/** Any error the cluster API raises on purpose. */
export type ClusterApiError =
  | InvalidArgumentError
  | NotFoundError
  | AlreadyExistsError
  | FailedPreconditionError
  | UnauthenticatedError
  | ServiceStoppingError;

/** True for the errors above, so the edge can tell them from unexpected failures. */
export function isClusterApiError(error: unknown): error is ClusterApiError {
  return (
    error instanceof InvalidArgumentError ||
    error instanceof NotFoundError ||
    error instanceof AlreadyExistsError ||
    error instanceof FailedPreconditionError ||
    error instanceof UnauthenticatedError ||
    error instanceof ServiceStoppingError
  );
}
