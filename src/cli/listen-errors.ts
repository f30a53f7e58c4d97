/**
 * Plain words for a port that cannot be bound. Node says `listen EADDRINUSE: address already in use
 * 127.0.0.1:9500`, and grpc-js wraps that into `No address added out of total 1 resolved errors: […]`;
 * the caller's message already names the server and its address, so only the reason is kept.
 */

/** `message` with a failed bind reduced to its reason (`address already in use`); other text unchanged. */
export function plainListenError(message: string): string {
  const reason = /listen E[A-Z]+: ([a-z ]*[a-z])/.exec(message);
  if (!reason) return message;
  const start = message.search(/No address added|listen E[A-Z]+:/);
  return `${message.slice(0, start)}${reason[1] ?? ''}`;
}
