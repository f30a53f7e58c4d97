/** The routes of health, readiness and metrics, shared by the metrics and the health address. */
import type { Registry } from 'prom-client';
import { jsonReply, textReply, type HttpRoute } from './http-server.js';

/** Readiness report: ready when every check passes; details per check are shown to the caller. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

/** What the health routes ask the bridge. */
export interface HealthSources {
  /** Liveness: the process works (event loop turning, not shutting down). */
  healthy: () => boolean;
  readiness: () => Promise<Readiness>;
}

/** `/healthz` (200 or 503) and `/readyz` (200 or 503 with one check per part, as JSON). */
export function healthRoutes(sources: HealthSources): Record<string, HttpRoute> {
  return {
    '/healthz': {
      methods: ['GET'],
      handle: () => (sources.healthy() ? textReply(200, 'ok') : textReply(503, 'not healthy')),
    },
    '/readyz': {
      methods: ['GET'],
      handle: async () => {
        const report = await sources.readiness();
        return jsonReply(report.ready ? 200 : 503, report);
      },
    },
  };
}

/** `/metrics` in the Prometheus text format. */
export function metricsRoute(registry: Registry): Record<string, HttpRoute> {
  return {
    '/metrics': {
      methods: ['GET'],
      handle: async () => ({ status: 200, type: registry.contentType, body: await registry.metrics() }),
    },
  };
}
