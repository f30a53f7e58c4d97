/** Human and JSON renderings of listed clusters, for the CLI. Pure. */
import {
  ClusterState,
  type AdmissionConstraint,
  type ClusterStatus,
} from '../generated/workspacemanagerbridge/cluster-service.js';

const STATE_NAMES: Readonly<Record<number, string>> = {
  [ClusterState.AVAILABLE]: 'available',
  [ClusterState.CORDONED]: 'cordoned',
  [ClusterState.DRAINING]: 'draining',
};

function stateName(state: ClusterState): string {
  return STATE_NAMES[state] ?? 'unknown';
}

function constraintText(c: AdmissionConstraint): string {
  return c.hasPermission ? `permission:${c.hasPermission.permission}` : 'feature-preview';
}

/** JSON array of the clusters: state by its stored name, constraints as `permission:<p>` / `feature-preview`. */
export function clustersJson(statuses: readonly ClusterStatus[]): string {
  const rows = statuses.map((s) => ({
    name: s.name,
    url: s.url,
    region: s.region,
    state: stateName(s.state),
    score: s.score,
    maxScore: s.maxScore,
    governed: s.governed,
    static: s.static,
    admissionConstraints: s.admissionConstraint.map(constraintText),
    // The replica streaming the cluster; null while none does (or without replicas' leases).
    holder: s.leaseHolder || null,
  }));
  return JSON.stringify(rows, null, 2);
}

/** An aligned text table with a header line; empty cells show as "-". */
export function clustersTable(statuses: readonly ClusterStatus[]): string {
  const header = [
    'NAME',
    'URL',
    'REGION',
    'STATE',
    'SCORE',
    'MAX SCORE',
    'GOVERNED',
    'STATIC',
    'CONSTRAINTS',
    'HOLDER',
  ];
  const rows = statuses.map((s) => [
    s.name,
    s.url,
    s.region || '-',
    stateName(s.state),
    String(s.score),
    String(s.maxScore),
    String(s.governed),
    String(s.static),
    s.admissionConstraint.map(constraintText).join(',') || '-',
    s.leaseHolder || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
