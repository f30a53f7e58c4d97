/**
 * Checks that a cluster URL is a gRPC target grpc-js can dial: `host:port`, `dns:///host:port`,
 * `dns:host:port`, `ipv4:addr:port[,…]`, `ipv6:[addr]:port[,…]` or `unix:path`. Pure.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { redactUrl } from '../observability/redact.js';
import { InvalidArgumentError } from './errors.js';

/** Longest accepted target; the original's column is varchar(255). */
export const GRPC_TARGET_MAX_LENGTH = 255;

const HOSTNAME =
  /^[a-zA-Z0-9_]([a-zA-Z0-9_-]*[a-zA-Z0-9_])?(\.[a-zA-Z0-9_]([a-zA-Z0-9_-]*[a-zA-Z0-9_])?)*\.?$/;
const FORMS =
  'use host:port, dns:///host:port, dns:host:port, ipv4:addr:port, ipv6:[addr]:port or unix:/path';

type HostKind = 'any' | 'ipv4' | 'ipv6';

function invalid(url: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`url "${redactUrl(url)}" ${why}; ${FORMS}`);
}

function validPort(text: string): boolean {
  if (!/^\d{1,5}$/.test(text)) return false;
  const port = Number(text);
  return port >= 1 && port <= 65535;
}

/** Splits `host:port` / `[v6]:port`; undefined when the shape is wrong. */
function splitHostPort(text: string): { host: string; port: string; bracketed: boolean } | undefined {
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0 || text[end + 1] !== ':') return undefined;
    return { host: text.slice(1, end), port: text.slice(end + 2), bracketed: true };
  }
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const host = text.slice(0, colon);
  if (host.includes(':')) return undefined;
  return { host, port: text.slice(colon + 1), bracketed: false };
}

function checkAddress(url: string, text: string, kind: HostKind): void {
  const parts = splitHostPort(text);
  if (!parts) throw invalid(url, `needs host:port in "${text}" (IPv6 addresses in brackets)`);
  if (!validPort(parts.port)) throw invalid(url, 'needs a port from 1 to 65535');
  const { host, bracketed } = parts;
  const ok =
    kind === 'ipv4'
      ? isIPv4(host)
      : kind === 'ipv6'
        ? bracketed && isIPv6(host)
        : bracketed
          ? isIPv6(host)
          : isIPv4(host) || HOSTNAME.test(host);
  if (!ok) throw invalid(url, `has an invalid ${kind === 'any' ? 'host' : `${kind} address`} "${host}"`);
}

function checkAddressList(url: string, list: string, kind: 'ipv4' | 'ipv6'): void {
  if (list === '') throw invalid(url, `names no ${kind} address`);
  for (const address of list.split(',')) checkAddress(url, address, kind);
}

/** Returns the target unchanged when grpc-js can dial it; throws InvalidArgumentError otherwise. */
export function validateGrpcTarget(url: string): string {
  if (url === '') throw new InvalidArgumentError(`url is empty; ${FORMS}`);
  if (url.length > GRPC_TARGET_MAX_LENGTH) {
    throw new InvalidArgumentError(`url is longer than ${GRPC_TARGET_MAX_LENGTH} characters`);
  }
  if (/\s/.test(url)) throw invalid(url, 'contains whitespace');
  if (/^https?:\/\//i.test(url)) throw invalid(url, 'is an http(s) URL, not a gRPC target');
  if (url.startsWith('dns:///')) checkAddress(url, url.slice('dns:///'.length), 'any');
  else if (url.startsWith('dns://')) throw invalid(url, 'names a DNS authority, which is not supported');
  else if (url.startsWith('dns:')) checkAddress(url, url.slice('dns:'.length), 'any');
  else if (url.startsWith('ipv4:')) checkAddressList(url, url.slice('ipv4:'.length), 'ipv4');
  else if (url.startsWith('ipv6:')) checkAddressList(url, url.slice('ipv6:'.length), 'ipv6');
  else if (url.startsWith('unix:')) {
    if (url.slice('unix:'.length).replace(/^\/\//, '') === '') throw invalid(url, 'names no socket path');
  } else if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(url)) throw invalid(url, 'uses an unsupported scheme');
  else checkAddress(url, url, 'any');
  return url;
}
