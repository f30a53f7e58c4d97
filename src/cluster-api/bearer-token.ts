/** Bearer-token check for ClusterService calls, in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { UnauthenticatedError } from './errors.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Returns a check that throws UnauthenticatedError unless the call's metadata carries
 * `authorization: Bearer <token>`. Comparing equal-length digests keeps the time independent of
 * where the tokens differ and of their lengths. Without a token every call passes.
 */
export function bearerTokenCheck(token: string | undefined): (metadata: Metadata) => void {
  if (token === undefined || token === '') return () => undefined;
  const expected = digest(token);
  return (metadata) => {
    const header = metadata.get('authorization')[0];
    if (typeof header !== 'string' || header === '') {
      throw new UnauthenticatedError('missing credentials: send metadata "authorization: Bearer <token>"');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1])
      throw new UnauthenticatedError('authorization metadata must have the form "Bearer <token>"');
    if (!timingSafeEqual(digest(match[1]), expected)) throw new UnauthenticatedError('invalid bearer token');
  };
}
