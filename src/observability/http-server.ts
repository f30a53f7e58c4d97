/**
 * A small `node:http` server for operator endpoints: a fixed table of paths, each with the methods it
 * answers. The bridge runs up to three of them (metrics and status page, health, debug).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a route answers. */
export interface HttpReply {
  status: number;
  /** Content type. */
  type: string;
  body: string;
}

/** The parts of a request a route reads. */
export interface HttpRequest {
  method: string;
  path: string;
  /** The request body (POST only; empty otherwise). */
  body: string;
}

/** One path of the server. */
export interface HttpRoute {
  /** Methods answered; HEAD is answered wherever GET is. */
  methods: readonly ('GET' | 'POST')[];
  handle(request: HttpRequest): HttpReply | Promise<HttpReply>;
}

/** Options of {@link OpsHttpServer}. */
export interface OpsHttpOptions {
  /** What the server is for, in bind errors: "the operator HTTP endpoints", "the debug endpoint". */
  purpose: string;
  host: string;
  port: number;
  routes: Readonly<Record<string, HttpRoute>>;
  /** Largest request body accepted. @default 16 KiB */
  maxBodyBytes?: number;
}

/** A plain-text reply. */
export function textReply(status: number, text: string): HttpReply {
  return { status, type: 'text/plain; charset=utf-8', body: `${text}\n` };
}

/** A JSON reply. */
export function jsonReply(status: number, value: unknown): HttpReply {
  return { status, type: 'application/json', body: `${JSON.stringify(value)}\n` };
}

class BodyTooLargeError extends Error {}

/** Reads the body; past `limit` the rest is read and discarded, so that the 413 reaches the client. */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limit) reject(new BodyTooLargeError());
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

/** An operator HTTP server; `start()` binds, `stop()` closes every connection. */
export class OpsHttpServer {
  readonly #o: OpsHttpOptions;
  #server: Server | undefined;

  constructor(options: OpsHttpOptions) {
    this.#o = options;
  }

  /** Listens; resolves with the bound port (0 picks a free one). Rejects naming the address when it cannot bind. */
  async start(): Promise<number> {
    const server = createServer((req, res) => {
      void this.#reply(req).then(
        ({ status, type, body }) => {
          res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
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
        reject(new Error(`cannot serve ${this.#o.purpose} on ${where}: ${error.message}`));
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

  async #reply(req: IncomingMessage): Promise<HttpReply> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = Object.hasOwn(this.#o.routes, path) ? this.#o.routes[path] : undefined;
    if (!route) return textReply(404, 'not found');
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    if (!route.methods.some((m) => m === method)) {
      return textReply(405, `method not allowed; use ${route.methods.join(' or ')}`);
    }
    let body = '';
    if (method === 'POST') {
      try {
        body = await readBody(req, this.#o.maxBodyBytes ?? 16 * 1024);
      } catch (error: unknown) {
        if (error instanceof BodyTooLargeError) return textReply(413, 'request body too large');
        throw error;
      }
    }
    return route.handle({ method, path, body });
  }
}
