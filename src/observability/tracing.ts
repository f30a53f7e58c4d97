/**
 * OpenTelemetry tracing. Off unless the standard environment asks for an exporter
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_TRACES_EXPORTER`):
 * then spans go over OTLP/HTTP (JSON) to that endpoint in batches (`tracing-export.ts`, loaded only
 * then, so that a bridge that does not trace never loads the SDK). The tracer is handed to the parts
 * that trace (no global provider), and every part checks `enabled` before it builds a span, so that
 * tracing costs nothing on the hot path while it is off. Contexts are passed explicitly: a status's
 * parent comes from the W3C `traceparent` in ws-manager's `SubscribeResponse.header`.
 */
import {
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { errorMessage } from '../lifecycle/abort.js';
import type { Logger } from './logger.js';

/** The bridge's tracing: a tracer, whether it records, and how to flush at shutdown. */
export interface Tracing {
  /** False when no exporter is configured: parts skip building spans altogether. */
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /**
   * The parent context carried by a W3C `traceparent` (and `tracestate`) in a header map, or
   * undefined when there is none or tracing is off.
   */
  parentFrom(headers: Readonly<Record<string, string>> | undefined): Context | undefined;
  /** Runs `work` in a span (ended when the promise settles; an error is recorded on it). */
  inSpan<T>(name: string, attributes: Attributes, work: (span: Span | undefined) => Promise<T>): Promise<T>;
  /**
   * Sends what is buffered (waiting at most a couple of seconds) and stops exporting. Idempotent;
   * never rejects: spans that cannot be sent are logged and dropped.
   */
  shutdown(): Promise<void>;
}

export type Env = Record<string, string | undefined>;

/**
 * Marks a span failed with the error's message, with any `user:password@` of a URL in it removed.
 * No stack trace and no error object goes into the span.
 */
export function failSpan(span: Span, error: unknown): void {
  const message = errorMessage(error).replace(/\/\/([^/@:\s]+):([^/@\s]+)@/g, '//$1:***@');
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** True when the environment asks for a trace exporter (OTLP is the only one the bridge ships). */
export function tracingRequested(env: Env): boolean {
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporter === 'none') return false;
  if (exporter) return true;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** The one tracing that does nothing, shared by every part built without tracing. */
const DISABLED: Tracing = Object.freeze({
  enabled: false,
  tracer: trace.getTracer('ws-manager-bridge'),
  parentFrom: () => undefined,
  inSpan: <T>(_name: string, _attributes: Attributes, work: (span: Span | undefined) => Promise<T>) =>
    work(undefined),
  shutdown: () => Promise.resolve(),
});

/** Tracing that does nothing (the default). */
export function disabledTracing(): Tracing {
  return DISABLED;
}

/**
 * Sets tracing up from the environment: disabled unless an exporter is requested, in which case the
 * SDK and the OTLP exporter are loaded. The exporter reads the standard `OTEL_EXPORTER_OTLP_*`
 * settings itself; `OTEL_SERVICE_NAME` names the service.
 */
export async function setupTracing(env: Env, logger: Logger, version: string): Promise<Tracing> {
  if (!tracingRequested(env)) return disabledTracing();
  const { exportingTracing } = await import('./tracing-export.js');
  return exportingTracing(env, logger, version);
}

/**
 * One span per turn of the event loop for work that arrives item by item (statuses from a stream,
 * reductions): the first item of a turn opens the span, and it ends once the turn's work is done,
 * carrying how many items it covered. A span per status would cost more than the work it measures.
 */
export class TurnSpan {
  readonly #tracing: Tracing;
  readonly #name: string;
  readonly #attributes: Attributes;
  readonly #countAttribute: string;
  #span: Span | undefined;
  #count = 0;

  constructor(tracing: Tracing, name: string, attributes: Attributes, countAttribute: string) {
    this.#tracing = tracing;
    this.#name = name;
    this.#attributes = attributes;
    this.#countAttribute = countAttribute;
  }

  /** Counts `n` items in this turn's span. Does nothing while tracing is off. */
  add(n = 1): void {
    if (!this.#tracing.enabled) return;
    if (this.#span === undefined) {
      this.#span = this.#tracing.tracer.startSpan(this.#name, { attributes: this.#attributes });
      setImmediate(() => this.#end());
    }
    this.#count += n;
  }

  #end(): void {
    const span = this.#span;
    if (span === undefined) return;
    span.setAttribute(this.#countAttribute, this.#count);
    span.end();
    this.#span = undefined;
    this.#count = 0;
  }
}
