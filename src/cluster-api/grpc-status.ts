/** The one place where cluster API errors become gRPC statuses. */
import { status, type ServerErrorResponse } from '@grpc/grpc-js';
import type { ClusterApiError } from './errors.js';
import { isClusterApiError } from './errors.js';

const STATUS_OF: Readonly<Record<ClusterApiError['code'], status>> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  SERVICE_STOPPING: status.UNAVAILABLE,
};

/** What a caller sees for an error nobody expected; the details stay in the bridge's log. */
export const INTERNAL_MESSAGE = 'internal error in the cluster service; see the bridge log';

/**
 * Turns a thrown value into a gRPC error response. Domain errors keep their message; anything
 * else becomes INTERNAL with a generic message (`expected` tells the caller which case it was).
 */
export function toServiceError(error: unknown): { response: ServerErrorResponse; expected: boolean } {
  if (isClusterApiError(error)) {
    const response = Object.assign(new Error(error.message), {
      code: STATUS_OF[error.code],
      details: error.message,
    });
    return { response, expected: true };
  }
  const response = Object.assign(new Error(INTERNAL_MESSAGE), {
    code: status.INTERNAL,
    details: INTERNAL_MESSAGE,
  });
  return { response, expected: false };
}
