/** One-off DescribeCluster against a cluster (registration checks, class refresh); the channel is closed after. */
import type { DescribeClusterResponse } from '../generated/wsman/core.js';
import type { ClusterTls } from '../store/types.js';
import { WsmanClient } from './wsman-client.js';

/** Calls a cluster's DescribeCluster. */
export type DescribeCluster = (
  target: { url: string; tls: ClusterTls | null },
  signal: AbortSignal,
) => Promise<DescribeClusterResponse>;

/** A DescribeCluster function with a fixed TLS server name and deadline. */
export function describeClusterWith(options: { tlsServerName: string; deadlineMs: number }): DescribeCluster {
  return async (target, signal) => {
    const client = new WsmanClient({
      url: target.url,
      tls: target.tls,
      tlsServerName: options.tlsServerName,
    });
    try {
      return await client.describeCluster(signal, options.deadlineMs);
    } finally {
      client.close();
    }
  };
}
