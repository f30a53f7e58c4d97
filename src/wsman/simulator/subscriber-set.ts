/**
 * The open Subscribe streams of the simulator. A status is encoded once and the same bytes go to
 * every stream that wants it. Streams report backpressure, so memory stays bounded.
 */
import { Metadata, status as GrpcStatus, type ServerWritableStream } from '@grpc/grpc-js';
import type { MetadataFilter, SubscribeRequest, WorkspaceStatus } from '../../generated/wsman/core.js';
import { SubscribeResponse } from '../../generated/wsman/core.js';
import { isEmptyFilter, matchesFilter } from './metadata-filter.js';

/** A Subscribe call whose messages are already-encoded SubscribeResponse bytes. */
export type EncodedSubscribeCall = ServerWritableStream<SubscribeRequest, Buffer>;

interface Subscriber {
  readonly call: EncodedSubscribeCall;
  /** Undefined when the stream takes every status (no per-status check). */
  readonly filter: MetadataFilter | undefined;
  congested: boolean;
}

/** Options of a `SubscriberSet`. */
export interface SubscriberSetOptions {
  /**
   * Messages a stream may hold unsent before it is ended with RESOURCE_EXHAUSTED as too slow; the
   * client then reconnects and resyncs from GetWorkspaces. Bounds what a stalled stream holds
   * (about 1 KB per status). @default 50000
   */
  maxBacklog?: number;
}

/** Encodes a status once as SubscribeResponse bytes, without copying the encoder's output. */
export function encodeUpdate(status: WorkspaceStatus, header: Record<string, string> = {}): Buffer {
  const bytes = SubscribeResponse.encode({ status, header }).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The set of open Subscribe streams. */
export class SubscriberSet {
  readonly #subscribers = new Set<Subscriber>();
  readonly #maxBacklog: number;
  #congestedCount = 0;
  #unfilteredCount = 0;
  #waiters: (() => void)[] = [];

  constructor(options: SubscriberSetOptions = {}) {
    this.#maxBacklog = options.maxBacklog ?? 50_000;
  }

  /** Number of open streams. */
  get size(): number {
    return this.#subscribers.size;
  }

  /** True while at least one stream has more queued than its transport accepts. */
  get congested(): boolean {
    return this.#congestedCount > 0;
  }

  /**
   * Registers a stream and sends its response headers at once, so a client that awaits the
   * 'metadata' event knows every later status will reach it.
   */
  add(call: EncodedSubscribeCall): void {
    const mustMatch = call.request.mustMatch;
    const sub: Subscriber = {
      call,
      filter: isEmptyFilter(mustMatch) ? undefined : mustMatch,
      congested: false,
    };
    this.#subscribers.add(sub);
    if (!sub.filter) this.#unfilteredCount++;
    const remove = (): void => this.#remove(sub);
    call.once('cancelled', remove);
    call.once('close', remove);
    call.on('drain', () => this.#setCongested(sub, false));
    call.sendMetadata(new Metadata());
  }

  /** Sends `status` to every stream whose filter matches; encodes only if someone wants it. */
  publish(status: WorkspaceStatus, header?: Record<string, string>): void {
    if (this.#subscribers.size === 0) return;
    if (this.#unfilteredCount === 0 && !this.#anyWants(status)) return;
    const bytes = encodeUpdate(status, header);
    for (const sub of this.#subscribers) {
      if (sub.filter && !matchesFilter(sub.filter, status.metadata)) continue;
      if (sub.call.write(bytes)) continue;
      this.#setCongested(sub, true);
      if (sub.call.writableLength > this.#maxBacklog) {
        this.#end(sub, GrpcStatus.RESOURCE_EXHAUSTED, 'subscriber is too slow; resubscribe and resync');
      }
    }
  }

  /** Resolves once no stream is congested (at once if none is), or when `signal` fires. */
  whenWritable(signal: AbortSignal): Promise<void> {
    if (this.#congestedCount === 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#waiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Ends every stream with `code`; the streams are forgotten at once. */
  endAll(code: GrpcStatus, details: string): void {
    for (const sub of [...this.#subscribers]) this.#end(sub, code, details);
  }

  #anyWants(status: WorkspaceStatus): boolean {
    for (const sub of this.#subscribers) if (matchesFilter(sub.filter, status.metadata)) return true;
    return false;
  }

  #end(sub: Subscriber, code: GrpcStatus, details: string): void {
    this.#remove(sub);
    // grpc-js turns an 'error' event into the call's final status once queued messages are out.
    sub.call.emit('error', { code, details });
  }

  #remove(sub: Subscriber): void {
    if (!this.#subscribers.delete(sub)) return;
    if (!sub.filter) this.#unfilteredCount--;
    this.#setCongested(sub, false);
  }

  #setCongested(sub: Subscriber, congested: boolean): void {
    if (sub.congested === congested) return;
    sub.congested = congested;
    this.#congestedCount += congested ? 1 : -1;
    if (this.#congestedCount > 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
