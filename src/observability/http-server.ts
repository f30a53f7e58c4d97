/** HTTP endpoints for operators: /metrics (Prometheus), /healthz (liveness), /readyz (readiness). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Readiness report: ready when every check passes; details per check are shown to the caller. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export interface OpsHttpOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Liveness: the process works (event loop turning, not shutting down). */
  healthy: () => boolean;
  readiness: () => Promise<Readiness>;
}

/** The operator HTTP server. */
export class OpsHttpServer {
  readonly #o: OpsHttpOptions;
  #server: Server | undefined;

  constructor(options: OpsHttpOptions) {
    this.#o = options;
  }

  /** Listens; resolves with the bound port (0 picks a free one). Rejects naming the address when it cannot bind. */
  async start(): Promise<number> {
    const server = createServer((req, res) => {
      void this.#handle(req.url ?? '/', req.method ?? 'GET').then(
        ({ status, type, body }) => {
          res.writeHead(status, { 'content-type': type });
          res.end(body);
        },
        () => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('internal error\n');
        },
      );
    });
    this.#server = server;
    const where = `${this.#o.host.includes(':') ? `[${this.#o.host}]` : this.#o.host}:${this.#o.port}`;
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error): void =>
        reject(new Error(`cannot serve the operator HTTP endpoints on ${where}: ${error.message}`));
      server.once('error', failed);
      server.listen(this.#o.port, this.#o.host, () => {
        server.off('error', failed);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(url: string, method: string): Promise<{ status: number; type: string; body: string }> {
    if (method !== 'GET' && method !== 'HEAD')
      return { status: 405, type: 'text/plain', body: 'method not allowed\n' };
    const path = url.split('?')[0];
    if (path === '/metrics') {
      return { status: 200, type: this.#o.registry.contentType, body: await this.#o.registry.metrics() };
    }
    if (path === '/healthz') {
      const ok = this.#o.healthy();
      return { status: ok ? 200 : 503, type: 'text/plain', body: ok ? 'ok\n' : 'not healthy\n' };
    }
    if (path === '/readyz') {
      const report = await this.#o.readiness();
      return {
        status: report.ready ? 200 : 503,
        type: 'application/json',
        body: `${JSON.stringify(report)}\n`,
      };
    }
    return { status: 404, type: 'text/plain', body: 'not found\n' };
  }
}
