/**
 * Pure checks of ClusterService requests. Each throws InvalidArgumentError with a message that
 * names the field and what to send instead; none touches the store.
 */
import type { RegisterRequest, TlsConfig } from '../generated/workspacemanagerbridge/cluster-service.js';
import type { AdmissionConstraint, ClusterState, ClusterTls } from '../store/types.js';
import { decodeTls, InvalidTlsError } from '../wsman/credentials.js';
import { InvalidArgumentError } from './errors.js';
import { validateGrpcTarget } from './grpc-target.js';
import { constraintsFromProto } from './mapping.js';

/** Longest accepted cluster name (the original's column is char(64)). */
export const CLUSTER_NAME_MAX_LENGTH = 64;

const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;

/** Regions the original accepts; "" means "no region". */
export const WORKSPACE_REGIONS = ['europe', 'north-america', 'south-america', 'africa', 'asia', ''] as const;
/** One of WORKSPACE_REGIONS. */
export type WorkspaceRegion = (typeof WORKSPACE_REGIONS)[number];

/** Scores the original derives from `RegistrationHints.perfereability` (None, Prefer, DontSchedule). */
export const PREFERABILITY_SCORES: Readonly<Record<number, number>> = { 0: 50, 1: 100, 2: 0 };

/** Score ceiling of every newly registered cluster. */
export const DEFAULT_MAX_SCORE = 100;

const TLS_HINT = 'send tls.ca, tls.crt and tls.key as base64-encoded PEM';

/** Checks a cluster name: 1..64 characters, letters, digits, '.', '_' and '-', not starting with a symbol. */
export function validateClusterName(name: string): string {
  if (name === '') throw new InvalidArgumentError('name is empty; send the cluster name');
  if (name.length > CLUSTER_NAME_MAX_LENGTH) {
    throw new InvalidArgumentError(`name is longer than ${CLUSTER_NAME_MAX_LENGTH} characters`);
  }
  if (!NAME_PATTERN.test(name)) {
    throw new InvalidArgumentError(
      'name may only contain letters, digits, ".", "_" and "-", and must start with a letter or digit',
    );
  }
  return name;
}

/** Checks a region against WORKSPACE_REGIONS. */
export function validateRegion(region: string): WorkspaceRegion {
  const found = WORKSPACE_REGIONS.find((r) => r === region);
  if (found === undefined) {
    throw new InvalidArgumentError(
      `region "${region.slice(0, 64)}" is not valid; use one of ${WORKSPACE_REGIONS.filter(Boolean).join(', ')} or ""`,
    );
  }
  return found;
}

/** The score of a preferability enum number; unknown numbers are rejected. */
export function scoreForPreferability(preferability: number): number {
  const score = PREFERABILITY_SCORES[preferability];
  if (score === undefined) {
    throw new InvalidArgumentError(
      `hints.perfereability: unknown preferability ${preferability}; use 0 (None), 1 (Prefer) or 2 (DontSchedule)`,
    );
  }
  return score;
}

/** Checks a score or max score value: a whole number >= 0. */
export function validateScore(value: number, field: 'score' | 'max_score'): number {
  if (!Number.isInteger(value) || value < 0)
    throw new InvalidArgumentError(`${field} must be a whole number >= 0`);
  return value;
}

/**
 * Checks complete TLS material: every part present, base64 PEM, certificates parse and the key
 * matches tls.crt. The material never appears in the message.
 */
export function validateTls(tls: TlsConfig | undefined): ClusterTls {
  if (!tls || tls.ca === '' || tls.crt === '' || tls.key === '') {
    throw new InvalidArgumentError(`missing required TLS config: ${TLS_HINT}`);
  }
  const material = { ca: tls.ca, crt: tls.crt, key: tls.key };
  try {
    decodeTls(material);
  } catch (error: unknown) {
    if (error instanceof InvalidTlsError) throw new InvalidArgumentError(`${error.message}; ${TLS_HINT}`);
    throw error;
  }
  return material;
}

/**
 * TLS of a registration: required unless plain-text clusters are allowed, in which case an absent
 * or all-empty TlsConfig means "plain text" (partial material is still an error).
 */
export function validateRegistrationTls(
  tls: TlsConfig | undefined,
  allowPlaintext: boolean,
): ClusterTls | null {
  const empty = !tls || (tls.ca === '' && tls.crt === '' && tls.key === '');
  if (empty && allowPlaintext) return null;
  if (empty) {
    throw new InvalidArgumentError(
      `missing required TLS config: ${TLS_HINT} (plain text needs the bridge's --allow-plaintext-clusters)`,
    );
  }
  return validateTls(tls);
}

/** A Register request that passed every check, ready to become a row. */
export interface ValidRegistration {
  name: string;
  url: string;
  region: WorkspaceRegion;
  state: ClusterState;
  score: number;
  tls: ClusterTls | null;
  admissionConstraints: AdmissionConstraint[];
}

/** Checks a Register request in the original's order: name, url, region, hints, TLS, constraints. */
export function validateRegisterRequest(
  request: RegisterRequest,
  allowPlaintext: boolean,
): ValidRegistration {
  const name = validateClusterName(request.name);
  const url = validateGrpcTarget(request.url);
  const region = validateRegion(request.region);
  const score = scoreForPreferability(request.hints?.perfereability ?? 0);
  const state: ClusterState = request.hints?.cordoned ? 'cordoned' : 'available';
  const tls = validateRegistrationTls(request.tls, allowPlaintext);
  const admissionConstraints = constraintsFromProto(request.admissionConstraints, 'admission_constraints');
  return { name, url, region, state, score, tls, admissionConstraints };
}
