/**
 * Secure-by-default listening for the ClusterService: loopback needs nothing, any other address
 * needs TLS or a bearer token, or an explicit opt-out.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ServerCredentials } from '@grpc/grpc-js';
import type { ClusterServiceConfig } from '../config/config.js';

/** True for 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIPv4(bare)) return bare.startsWith('127.');
  if (!isIPv6(bare)) return false;
  if (bare === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(bare)) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare)?.[1];
  return mapped !== undefined && mapped.startsWith('127.');
}

/** The `host:port` string grpc-js binds to (IPv6 literals in brackets). */
export function bindAddress(host: string, port: number): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  return isIPv6(bare) ? `[${bare}]:${port}` : `${bare}:${port}`;
}

/**
 * Throws when the configuration would expose the service unprotected: a non-loopback host without
 * server TLS, without a token and without `insecure`. The message names the settings to use.
 */
export function assertListenAllowed(config: ClusterServiceConfig): void {
  if (isLoopbackHost(config.host) || config.tls || config.token || config.insecure) return;
  throw new Error(
    `refusing to serve the cluster service on ${bindAddress(config.host, config.port)} without protection: ` +
      'set CLUSTER_SERVICE_TLS_CERT and CLUSTER_SERVICE_TLS_KEY (optionally CLUSTER_SERVICE_TLS_CLIENT_CA for mTLS), ' +
      'set CLUSTER_SERVICE_TOKEN, bind to 127.0.0.1, or pass --insecure-cluster-service',
  );
}

/** True when the configuration exposes the service beyond loopback without any protection. */
export function isExposedWithoutProtection(config: ClusterServiceConfig): boolean {
  return !isLoopbackHost(config.host) && !config.tls && !config.token;
}

/** Server credentials: TLS (mTLS with a client CA) when configured, else plain text. */
export function serverCredentials(config: ClusterServiceConfig): ServerCredentials {
  const tls = config.tls;
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    tls.clientCa ?? null,
    [{ private_key: tls.key, cert_chain: tls.cert }],
    Boolean(tls.clientCa),
  );
}
