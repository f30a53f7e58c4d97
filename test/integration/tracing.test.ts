/** Tracing over OTLP/HTTP to a real receiver, and off without the standard environment. */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { setupTracing, tracingRequested } from '../../src/observability/tracing.js';
import { OtlpReceiver } from '../helpers/otlp-receiver.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('tracing', () => {
  it.each<[string, Record<string, string>, boolean]>([
    ['nothing set', {}, false],
    ['an OTLP endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    ['a traces endpoint', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true],
    ['an exporter', { OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [
      'the exporter none, despite an endpoint',
      { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'x' },
      false,
    ],
  ])('is requested with %s: %s', (_name, env, requested) => {
    expect(tracingRequested(env)).toBe(requested);
    expect(setupTracing(env, silentLogger(), 'test').enabled).toBe(requested);
  });

  it('sends spans to the endpoint, continuing a W3C traceparent', async () => {
    const receiver = new OtlpReceiver();
    const endpoint = await receiver.start();
    cleanups.push(() => receiver.stop());
    const tracing = setupTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, silentLogger(), 'test');
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = tracing.parentFrom({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(parent).toBeDefined();
    tracing.tracer.startSpan('child', { attributes: { 'bridge.cluster': 'eu-1' } }, parent).end();
    await tracing.inSpan('work', { 'bridge.rows': 3 }, () => Promise.resolve());
    expect(tracing.parentFrom({})).toBeUndefined();
    expect(tracing.parentFrom({ traceparent: 'garbage' })).toBeUndefined();
    await tracing.shutdown();
    const child = await receiver.waitFor((s) => s.name === 'child');
    expect(child).toMatchObject({
      traceId,
      parentSpanId: '00f067aa0ba902b7',
      attributes: { 'bridge.cluster': 'eu-1' },
    });
    expect((await receiver.waitFor((s) => s.name === 'work')).attributes).toEqual({ 'bridge.rows': 3 });
  });
});
