/**
 * OpenTelemetry tracing. Off unless the standard environment asks for an exporter
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_TRACES_EXPORTER`):
 * then spans go over OTLP/HTTP (JSON) to that endpoint in batches. The tracer is handed to the parts
 * that trace (no global provider), and every part checks `enabled` before it builds a span, so that
 * tracing costs nothing on the hot path while it is off. Contexts are passed explicitly: a status's
 * parent comes from the W3C `traceparent` in ws-manager's `SubscribeResponse.header`.
 */
import {
  context as apiContext,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { errorMessage } from '../lifecycle/abort.js';
import type { Logger } from './logger.js';
import { OutageLog } from './outage-log.js';

/** How long shutdown waits for the last spans to be sent. */
const SHUTDOWN_GRACE_MS = 2_000;

/**
 * The OTLP exporter, with failed exports logged once per outage (the SDK itself stays silent, so a
 * collector that cannot be reached would otherwise go unnoticed).
 */
class ReportingExporter implements SpanExporter {
  readonly #inner: SpanExporter;
  readonly #outage: OutageLog;

  constructor(inner: SpanExporter, logger: Logger) {
    this.#inner = inner;
    this.#outage = new OutageLog(logger, 'tracing: span export', {
      failed: 'tracing: spans could not be exported; they are dropped until the collector answers',
      recovered: 'tracing: span export recovered',
    });
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.#inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) this.#outage.recovered();
      else this.#outage.failed(result.error ?? 'export failed', { spans: spans.length });
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve();
  }
}

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

type Env = Record<string, string | undefined>;

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

/** The traces URL from the given environment (the exporter would read only the process's). */
function tracesUrl(env: Env): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  keys: (carrier: Readonly<Record<string, string>>): string[] => Object.keys(carrier),
  get: (carrier: Readonly<Record<string, string>>, key: string): string | undefined =>
    carrier[key] ?? carrier[key.toLowerCase()],
};

/** Tracing that does nothing (the default). */
export function disabledTracing(): Tracing {
  const tracer = trace.getTracer('ws-manager-bridge');
  return {
    enabled: false,
    tracer,
    parentFrom: () => undefined,
    inSpan: (_name, _attributes, work) => work(undefined),
    shutdown: () => Promise.resolve(),
  };
}

/**
 * Sets tracing up from the environment: disabled unless an exporter is requested. The exporter
 * reads the standard `OTEL_EXPORTER_OTLP_*` settings itself; `OTEL_SERVICE_NAME` names the service.
 */
export function setupTracing(env: Env, logger: Logger, version: string): Tracing {
  if (!tracingRequested(env)) return disabledTracing();
  const exporterName = env.OTEL_TRACES_EXPORTER?.trim() || 'otlp';
  if (exporterName !== 'otlp') {
    logger.warn(
      { exporter: exporterName },
      'OTEL_TRACES_EXPORTER: only otlp is supported; tracing stays off',
    );
    return disabledTracing();
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME || 'ws-manager-bridge',
      'service.version': version,
    }),
    spanProcessors: [
      new BatchSpanProcessor(new ReportingExporter(new OTLPTraceExporter({ url: tracesUrl(env) }), logger)),
    ],
  });
  const tracer = provider.getTracer('ws-manager-bridge', version);
  let stopping: Promise<void> | undefined;
  logger.info('tracing: exporting spans over OTLP/HTTP');
  return {
    enabled: true,
    tracer,
    parentFrom(headers) {
      if (!headers || (headers.traceparent === undefined && headers.Traceparent === undefined))
        return undefined;
      const extracted = propagator.extract(apiContext.active(), headers, headerGetter);
      return trace.getSpanContext(extracted) ? extracted : undefined;
    },
    async inSpan(name, attributes, work) {
      const span = tracer.startSpan(name, { attributes });
      try {
        return await work(span);
      } catch (error: unknown) {
        failSpan(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
    shutdown() {
      stopping ??= flushWithin(provider, SHUTDOWN_GRACE_MS, logger);
      return stopping;
    },
  };
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

/** Shuts the provider down, giving up on unsent spans after `graceMs`. */
async function flushWithin(provider: BasicTracerProvider, graceMs: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
    timer.unref();
  });
  try {
    const outcome = await Promise.race([provider.shutdown().then(() => 'sent' as const), late]);
    if (outcome === 'late')
      logger.warn({ graceMs }, 'tracing: the last spans were not sent in time; dropped');
  } catch (error: unknown) {
    logger.warn({ err: errorMessage(error) }, 'tracing: the last spans could not be sent; dropped');
  } finally {
    clearTimeout(timer);
  }
}
