/** Pure conversions between ClusterService messages and store rows. TLS never leaves the store here. */
import type { StaticCluster } from '../config/config.js';
import {
  ClusterState as ProtoClusterState,
  type AdmissionConstraint as ProtoConstraint,
  type ClusterStatus,
} from '../generated/workspacemanagerbridge/cluster-service.js';
import type { AdmissionConstraint, ClusterRow, ClusterState } from '../store/types.js';
import { InvalidArgumentError } from './errors.js';

/** Longest accepted permission name in a has_permission constraint. */
export const PERMISSION_MAX_LENGTH = 128;

const STATE_TO_PROTO: Readonly<Record<ClusterState, ProtoClusterState>> = {
  available: ProtoClusterState.AVAILABLE,
  cordoned: ProtoClusterState.CORDONED,
  draining: ProtoClusterState.DRAINING,
};

/** Maps a stored cluster state to the wire enum; anything unexpected becomes UNKNOWN. */
export function clusterStateToProto(state: string): ProtoClusterState {
  return STATE_TO_PROTO[state as ClusterState] ?? ProtoClusterState.UNKNOWN;
}

/**
 * Maps one wire constraint to the stored shape. One that says nothing usable — no member set (also a
 * member a newer client knows and this bridge does not), or `has_permission` with an empty permission
 * — yields undefined and is dropped, as the original drops it. A permission with whitespace or over
 * 128 characters throws InvalidArgumentError.
 */
export function constraintFromProto(
  constraint: ProtoConstraint,
  field: string,
): AdmissionConstraint | undefined {
  if (constraint.hasFeaturePreview) return { type: 'has-feature-preview' };
  const permission = constraint.hasPermission?.permission;
  if (permission === undefined || permission === '') return undefined;
  if (permission.length > PERMISSION_MAX_LENGTH || /[\s\p{Cc}]/u.test(permission)) {
    throw new InvalidArgumentError(
      `${field}.has_permission.permission must be at most ${PERMISSION_MAX_LENGTH} characters without whitespace`,
    );
  }
  return { type: 'has-permission', permission };
}

/** Maps a list of wire constraints, dropping those that say nothing and naming a failing element by index. */
export function constraintsFromProto(
  constraints: readonly ProtoConstraint[],
  field: string,
): AdmissionConstraint[] {
  return constraints.flatMap((c, i) => constraintFromProto(c, `${field}[${i}]`) ?? []);
}

/** Maps a stored constraint to the wire shape; `has-class` has no wire form and yields undefined. */
export function constraintToProto(constraint: AdmissionConstraint): ProtoConstraint | undefined {
  if (constraint.type === 'has-feature-preview') return { hasFeaturePreview: {} };
  if (constraint.type === 'has-permission') return { hasPermission: { permission: constraint.permission } };
  return undefined;
}

/** Maps stored constraints to the wire, dropping those without a wire form. */
export function constraintsToProto(constraints: readonly AdmissionConstraint[]): ProtoConstraint[] {
  return constraints.flatMap((c) => constraintToProto(c) ?? []);
}

function sameKind(a: AdmissionConstraint, b: AdmissionConstraint): boolean {
  if (a.type === 'has-permission' && b.type === 'has-permission') return a.permission === b.permission;
  return a.type === b.type && a.type === 'has-feature-preview';
}

/**
 * Applies an Update's admission_constraint change: `add` appends (no de-duplication, as the
 * original); remove drops every stored constraint of that kind (same permission for has-permission).
 */
export function applyConstraintChange(
  current: readonly AdmissionConstraint[],
  add: boolean,
  constraint: AdmissionConstraint,
): AdmissionConstraint[] {
  if (add) return [...current, constraint];
  return current.filter((existing) => !sameKind(existing, constraint));
}

/** A stored cluster as the List response shows it (no TLS). */
export function clusterRowToStatus(row: ClusterRow): ClusterStatus {
  return {
    name: row.name,
    url: row.url,
    state: clusterStateToProto(row.state),
    score: row.score,
    maxScore: row.maxScore,
    governed: row.govern,
    admissionConstraint: constraintsToProto(row.admissionConstraints),
    static: false,
    region: row.region,
    leaseHolder: '',
  };
}

/** A cluster from the configuration as the List response shows it (`static = true`, no TLS). */
export function staticClusterToStatus(cluster: StaticCluster): ClusterStatus {
  return {
    name: cluster.name,
    url: cluster.url,
    state: clusterStateToProto(cluster.state),
    score: cluster.score,
    maxScore: cluster.maxScore,
    governed: cluster.govern,
    admissionConstraint: constraintsToProto(cluster.admissionConstraints),
    static: true,
    region: cluster.region,
    leaseHolder: '',
  };
}
