/**
 * The exporting side of tracing: the SDK's tracer provider with a batch processor and the OTLP/HTTP
 * exporter. Loaded by `setupTracing` only when the environment asks for an exporter.
 */
import { context as apiContext, trace } from '@opentelemetry/api';
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
import { disabledTracing, failSpan, type Env, type Tracing } from './tracing.js';

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

/** Tracing that exports over OTLP/HTTP, for an environment that asked for it (`setupTracing`). */
export function exportingTracing(env: Env, logger: Logger, version: string): Tracing {
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
