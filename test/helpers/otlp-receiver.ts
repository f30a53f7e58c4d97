/**
 * A real OTLP/HTTP receiver on loopback for tests: it accepts `POST /v1/traces` with the JSON
 * encoding the exporter sends and keeps every span it got.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One received span, flattened. */
export interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, unknown>;
}

interface OtlpAttribute {
  key: string;
  value: Record<string, unknown>;
}

interface OtlpBody {
  resourceSpans?: {
    scopeSpans?: {
      spans?: {
        name: string;
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        attributes?: OtlpAttribute[];
      }[];
    }[];
  }[];
}

/** See the module comment. */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Every request body as received, to search for what must not be there. */
  readonly bodies: string[] = [];
  readonly #server: Server;
  #waiters: { done: () => boolean; resolve: () => void }[] = [];

  constructor() {
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        if (req.url === '/v1/traces') this.#receive(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
  }

  /** Listens on a free loopback port; returns the endpoint for OTEL_EXPORTER_OTLP_ENDPOINT. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve()));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Resolves once a span satisfying `match` has arrived. */
  waitFor(match: (span: ReceivedSpan) => boolean): Promise<ReceivedSpan> {
    const found = (): ReceivedSpan | undefined => this.spans.find(match);
    return new Promise((resolve) => {
      const check = (): boolean => {
        const span = found();
        if (span) resolve(span);
        return span !== undefined;
      };
      if (!check()) this.#waiters.push({ done: check, resolve: () => undefined });
    });
  }

  #receive(body: string): void {
    this.bodies.push(body);
    const parsed = JSON.parse(body) as OtlpBody;
    for (const rs of parsed.resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          const attributes: Record<string, unknown> = {};
          for (const a of s.attributes ?? []) attributes[a.key] = Object.values(a.value)[0];
          this.spans.push({
            name: s.name,
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId || undefined,
            attributes,
          });
        }
      }
    }
    this.#waiters = this.#waiters.filter((w) => !w.done());
  }
}
