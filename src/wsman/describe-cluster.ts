/** One-off DescribeCluster against a cluster (registration checks, class refresh); the channel is closed after. */
import type { DescribeClusterResponse } from '../generated/wsman/core.js';
import type { ClusterTls, WorkspaceClassInfo } from '../store/types.js';
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

/** The class columns a DescribeCluster answer fills; an empty preferred class is stored as null. */
export function classesFromDescribe(response: DescribeClusterResponse): {
  availableWorkspaceClasses: WorkspaceClassInfo[];
  preferredWorkspaceClass: string | null;
} {
  return {
    availableWorkspaceClasses: response.workspaceClasses.map((c) => ({
      id: c.id,
      displayName: c.displayName,
      description: c.description,
      creditsPerMinute: c.creditsPerMinute,
    })),
    preferredWorkspaceClass: response.preferredWorkspaceClass || null,
  };
}
