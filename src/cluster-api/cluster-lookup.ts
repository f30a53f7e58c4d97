/** Name checks shared by Update and Deregister. */
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from './errors.js';
import type { HandlerContext } from './handler-context.js';

/** Throws when the name is empty; any other name is simply looked up. */
export function requireName(name: string): string {
  if (name === '') throw new InvalidArgumentError('name is empty; send the cluster name');
  return name;
}

/** The error for a name the store does not hold: FAILED_PRECONDITION when it is static, else NOT_FOUND. */
export function unknownOrStatic(ctx: HandlerContext, name: string, verb: 'updated' | 'deregistered'): Error {
  if (ctx.staticCluster(name)) {
    return new FailedPreconditionError(
      `cluster "${name}" is static (from the bridge configuration) and cannot be ${verb} through the API; change the configuration instead`,
    );
  }
  return new NotFoundError(`no cluster named "${name}" is registered`);
}
