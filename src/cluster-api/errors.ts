/**
 * Domain errors of the cluster API. Each carries a stable `code`; only `grpc-status.ts` turns them
 * into gRPC statuses. Messages say what to fix and never contain TLS material or tokens.
 */

/** The request is malformed: a field is missing, too long or out of range. */
export class InvalidArgumentError extends Error {
  readonly code = 'INVALID_ARGUMENT';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidArgumentError';
  }
}

/** The named cluster does not exist. */
export class NotFoundError extends Error {
  readonly code = 'NOT_FOUND';
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** A cluster with that name or URL exists already. */
export class AlreadyExistsError extends Error {
  readonly code = 'ALREADY_EXISTS';
  constructor(message: string) {
    super(message);
    this.name = 'AlreadyExistsError';
  }
}

/** The request is valid but the cluster's state forbids it (unreachable, not empty, static). */
export class FailedPreconditionError extends Error {
  readonly code = 'FAILED_PRECONDITION';
  constructor(message: string) {
    super(message);
    this.name = 'FailedPreconditionError';
  }
}

/** The caller did not present valid credentials. */
export class UnauthenticatedError extends Error {
  readonly code = 'UNAUTHENTICATED';
  constructor(message: string) {
    super(message);
    this.name = 'UnauthenticatedError';
  }
}

/** The service is shutting down and no longer takes requests. */
export class ServiceStoppingError extends Error {
  readonly code = 'SERVICE_STOPPING';
  constructor() {
    super('the cluster service is shutting down; retry against a running bridge');
    this.name = 'ServiceStoppingError';
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
