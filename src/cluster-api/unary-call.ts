/**
 * The edge of every ClusterService RPC: request log, bearer token, per-call abort signal, and the
 * mapping of whatever the handler throws to a gRPC status.
 */
import {
  status,
  type handleUnaryCall,
  type Metadata,
  type ServerErrorResponse,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { errorMessage, isAbortError } from '../lifecycle/abort.js';
import type { Logger } from '../observability/logger.js';
import type { Tracing } from '../observability/tracing.js';
import { ServiceStoppingError, UnauthenticatedError } from './errors.js';
import { toServiceError } from './grpc-status.js';

/** The four RPC names as they appear in logs (`requested clusters.<rpc>`). */
export type RpcName = 'register' | 'update' | 'deregister' | 'list';

/** Shared by every RPC of one server. */
export interface UnaryCallEnv {
  logger: Logger;
  /** Fires when the server stops: running handlers end, new calls are refused. */
  stopping: AbortSignal;
  /** Throws UnauthenticatedError unless the metadata carries valid credentials. */
  authenticate: (metadata: Metadata) => void;
  /** Registers a running call so that stop() can wait for it. */
  track: (work: Promise<unknown>) => void;
  /** A span per call, continuing a caller's W3C `traceparent` metadata. */
  tracing: Tracing;
}

/** The gRPC method names of the four RPCs, for span names. */
const METHODS: Readonly<Record<RpcName, string>> = {
  register: 'Register',
  update: 'Update',
  deregister: 'Deregister',
  list: 'List',
};

/** Starts the call's span; undefined while tracing is off. Only trace context is read from metadata. */
function callSpan(env: UnaryCallEnv, rpc: RpcName, metadata: Metadata): Span | undefined {
  if (!env.tracing.enabled) return undefined;
  const traceparent = metadataText(metadata, 'traceparent');
  const tracestate = metadataText(metadata, 'tracestate');
  const parent = traceparent
    ? env.tracing.parentFrom({ traceparent, ...(tracestate ? { tracestate } : {}) })
    : undefined;
  const method = METHODS[rpc];
  return env.tracing.tracer.startSpan(
    `workspacemanagerbridge.ClusterService/${method}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'rpc.system': 'grpc',
        'rpc.service': 'workspacemanagerbridge.ClusterService',
        'rpc.method': method,
      },
    },
    parent,
  );
}

function metadataText(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

function callerOf(call: ServerUnaryCall<unknown, unknown>): Record<string, string | undefined> {
  return {
    clientIP: call.getPeer(),
    clientName: metadataText(call.metadata, 'client-name'),
    userAgent: metadataText(call.metadata, 'user-agent'),
  };
}

function errorResponse(
  env: UnaryCallEnv,
  rpc: RpcName,
  error: unknown,
  callerCancelled: boolean,
): ServerErrorResponse {
  if (env.stopping.aborted && (isAbortError(error) || error instanceof ServiceStoppingError)) {
    return toServiceError(new ServiceStoppingError()).response;
  }
  if (callerCancelled && isAbortError(error)) {
    return Object.assign(new Error('cancelled by the caller'), { code: status.CANCELLED });
  }
  const mapped = toServiceError(error);
  if (!mapped.expected) {
    env.logger.error({ rpc, error: errorMessage(error) }, `clusters.${rpc} failed unexpectedly`);
  }
  return mapped.response;
}

/**
 * Wraps a handler into a grpc-js unary implementation. The handler gets a signal that fires when
 * the caller cancels or the server stops; it is never called for an unauthenticated caller.
 */
export function unaryCall<Req, Res>(
  env: UnaryCallEnv,
  rpc: RpcName,
  handler: (request: Req, signal: AbortSignal) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const cancelled = new AbortController();
    call.on('cancelled', () => cancelled.abort(new Error('cancelled by the caller')));
    const signal = AbortSignal.any([env.stopping, cancelled.signal]);
    const caller = callerOf(call);
    env.logger.info(caller, `requested clusters.${rpc}`);
    const span = callSpan(env, rpc, call.metadata);
    const run = async (): Promise<Res> => {
      if (env.stopping.aborted) throw new ServiceStoppingError();
      env.authenticate(call.metadata);
      return handler(call.request, signal);
    };
    const work = run().then(
      (response) => {
        span?.setAttribute('rpc.grpc.status_code', status.OK);
        span?.end();
        callback(null, response);
      },
      (error: unknown) => {
        if (error instanceof UnauthenticatedError) {
          env.logger.warn(caller, `clusters.${rpc} refused: ${error.message}`);
        }
        const response = errorResponse(env, rpc, error, cancelled.signal.aborted);
        if (span) {
          span.setAttribute('rpc.grpc.status_code', response.code ?? status.UNKNOWN);
          span.setStatus({ code: SpanStatusCode.ERROR, message: response.message });
          span.end();
        }
        callback(response);
      },
    );
    env.track(work);
  };
}
