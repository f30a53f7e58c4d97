/** Pure part of Update: which single property a request changes, checked before any lookup. */
import type { UpdateRequest } from '../generated/workspacemanagerbridge/cluster-service.js';
import type { ClusterPatch } from '../store/ports.js';
import type { AdmissionConstraint, ClusterRow, ClusterTls } from '../store/types.js';
import { InvalidArgumentError } from './errors.js';
import { applyConstraintChange, constraintFromProto } from './mapping.js';
import { validateScore, validateTls } from './validation.js';

/**
 * The one change an UpdateRequest asks for: `none` when no oneof member is set, or when the
 * admission constraint says nothing usable (`dropped` then describes it, for the log).
 */
export type ClusterChange =
  | { kind: 'none'; dropped?: string }
  | { kind: 'score'; score: number }
  | { kind: 'maxScore'; maxScore: number }
  | { kind: 'cordoned'; cordoned: boolean }
  | { kind: 'constraint'; add: boolean; constraint: AdmissionConstraint }
  | { kind: 'tls'; tls: ClusterTls };

const MEMBERS = ['score', 'maxScore', 'cordoned', 'admissionConstraint', 'tls'] as const;

/** Reads and checks the oneof `property` of an UpdateRequest. Throws InvalidArgumentError. */
export function parseClusterChange(request: UpdateRequest): ClusterChange {
  const set = MEMBERS.filter((m) => request[m] !== undefined);
  if (set.length > 1) {
    throw new InvalidArgumentError(
      'set at most one of score, max_score, cordoned, admission_constraint and tls',
    );
  }
  if (request.score !== undefined) return { kind: 'score', score: validateScore(request.score, 'score') };
  if (request.maxScore !== undefined) {
    return { kind: 'maxScore', maxScore: validateScore(request.maxScore, 'max_score') };
  }
  if (request.cordoned !== undefined) return { kind: 'cordoned', cordoned: request.cordoned };
  if (request.tls !== undefined) return { kind: 'tls', tls: validateTls(request.tls) };
  const modify = request.admissionConstraint;
  if (modify === undefined) return { kind: 'none' };
  // As the original: a constraint that maps to nothing changes nothing, and the call succeeds.
  const constraint =
    modify.constraint && constraintFromProto(modify.constraint, 'admission_constraint.constraint');
  if (!constraint) return { kind: 'none', dropped: 'admission_constraint sets no usable constraint' };
  return { kind: 'constraint', add: modify.add, constraint };
}

function sameTls(a: ClusterTls | null, b: ClusterTls): boolean {
  return a !== null && a.ca === b.ca && a.crt === b.crt && a.key === b.key;
}

/**
 * The columns a change writes to `row`, or undefined when it changes nothing (no member set, or
 * the same TLS material as stored).
 */
export function patchForChange(row: ClusterRow, change: ClusterChange): ClusterPatch | undefined {
  switch (change.kind) {
    case 'none':
      return undefined;
    case 'score':
      return { score: change.score };
    case 'maxScore':
      return { maxScore: change.maxScore };
    case 'cordoned':
      // As the original: uncordoning also ends `draining`.
      return { state: change.cordoned ? 'cordoned' : 'available' };
    case 'constraint':
      return {
        admissionConstraints: applyConstraintChange(row.admissionConstraints, change.add, change.constraint),
      };
    case 'tls':
      return sameTls(row.tls, change.tls) ? undefined : { tls: change.tls };
  }
}
