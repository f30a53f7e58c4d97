/** Field-level mappings from ws-manager's WorkspaceStatus onto the platform's instance status. */
import type { PortSpec, WorkspaceConditions } from '../generated/wsman/core.js';
import {
  PortProtocol,
  PortVisibility,
  WorkspaceConditionBool,
  WorkspacePhase,
} from '../generated/wsman/core.js';
import type { ExposedPort, ImageMetrics, InstanceConditions, InstancePhase } from '../store/types.js';

const PHASES: Readonly<Record<WorkspacePhase, InstancePhase | undefined>> = {
  [WorkspacePhase.UNKNOWN]: undefined,
  [WorkspacePhase.PENDING]: 'pending',
  [WorkspacePhase.CREATING]: 'creating',
  [WorkspacePhase.INITIALIZING]: 'initializing',
  [WorkspacePhase.RUNNING]: 'running',
  [WorkspacePhase.STOPPING]: 'stopping',
  [WorkspacePhase.STOPPED]: 'stopped',
  [WorkspacePhase.INTERRUPTED]: 'interrupted',
  [WorkspacePhase.UNRECOGNIZED]: undefined,
};

/** The platform phase for a ws-manager phase; undefined for UNKNOWN, which leaves the phase as it is. */
export function mapPhase(phase: WorkspacePhase): InstancePhase | undefined {
  return PHASES[phase];
}

/** TRUE → true, EMPTY → undefined, FALSE (and anything else) → false, as the original reads them. */
export function toBool(value: WorkspaceConditionBool): boolean | undefined {
  if (value === WorkspaceConditionBool.EMPTY) return undefined;
  return value === WorkspaceConditionBool.TRUE;
}

function mapVisibility(visibility: PortVisibility): ExposedPort['visibility'] {
  if (visibility === PortVisibility.PORT_VISIBILITY_PUBLIC) return 'public';
  if (visibility === PortVisibility.PORT_VISIBILITY_PRIVATE) return 'private';
  return undefined;
}

/** Exposed ports as stored: unknown visibilities are left out, every protocol but HTTPS is http. */
export function mapExposedPorts(ports: readonly PortSpec[]): ExposedPort[] {
  return ports.map((spec) => ({
    port: spec.port,
    visibility: mapVisibility(spec.visibility),
    url: spec.url,
    protocol: spec.protocol === PortProtocol.PORT_PROTOCOL_HTTPS ? 'https' : 'http',
  }));
}

/** True when `mapExposedPorts(incoming)` would equal `current` (which is then kept as it is). */
export function sameExposedPorts(
  current: readonly ExposedPort[] | undefined,
  incoming: readonly PortSpec[],
): boolean {
  if (current === undefined || current.length !== incoming.length) return false;
  for (let i = 0; i < incoming.length; i++) {
    const have = current[i] as ExposedPort;
    const spec = incoming[i] as PortSpec;
    if (
      have.port !== spec.port ||
      have.url !== spec.url ||
      have.visibility !== mapVisibility(spec.visibility) ||
      have.protocol !== (spec.protocol === PortProtocol.PORT_PROTOCOL_HTTPS ? 'https' : 'http') ||
      Object.keys(have).length !== 4
    ) {
      return false;
    }
  }
  return true;
}

/** Result of `mapConditions`: the next conditions and whether a stored failure outlived an empty one. */
export interface MappedConditions {
  conditions: InstanceConditions;
  failedKept: boolean;
}

/**
 * Next `status.conditions`. Deviations from the original: a stored non-empty `failed` survives an
 * empty incoming one, and `firstUserActivity` is never cleared once seen. `neededImageBuild` belongs
 * to the platform and is carried over.
 */
export function mapConditions(incoming: WorkspaceConditions, current: InstanceConditions): MappedConditions {
  const failedKept = incoming.failed === '' && (current.failed ?? '') !== '';
  const conditions: InstanceConditions = {
    failed: failedKept ? current.failed : incoming.failed,
    timeout: incoming.timeout,
    pullingImages: toBool(incoming.pullingImages),
    deployed: toBool(incoming.deployed),
    neededImageBuild: current.neededImageBuild,
    firstUserActivity: incoming.firstUserActivity?.toISOString() ?? current.firstUserActivity,
    headlessTaskFailed: incoming.headlessTaskFailed,
    stoppedByRequest: toBool(incoming.stoppedByRequest),
  };
  // Unchanged conditions keep the current object, which a cached record then holds on to.
  return { failedKept, conditions: sameConditions(current, conditions) ? current : conditions };
}

const CONDITION_KEYS = [
  'failed',
  'timeout',
  'pullingImages',
  'deployed',
  'neededImageBuild',
  'firstUserActivity',
  'headlessTaskFailed',
  'stoppedByRequest',
] as const;

// Equal in every field, `undefined` counting as absent, and no other key in `current`.
function sameConditions(current: InstanceConditions, next: InstanceConditions): boolean {
  let defined = 0;
  for (const key of CONDITION_KEYS) {
    if (current[key] !== next[key]) return false;
    if (current[key] !== undefined) defined++;
  }
  for (const key in current) {
    if (Object.hasOwn(current, key) && current[key as keyof InstanceConditions] !== undefined) defined--;
  }
  return defined === 0;
}

/** True when both hold the same sizes (and `current` nothing else). */
export function sameImage(current: ImageMetrics | undefined, next: ImageMetrics): boolean {
  return (
    current !== undefined &&
    current.totalSize === next.totalSize &&
    current.workspaceImageSize === next.workspaceImageSize &&
    Object.keys(current).length === 2
  );
}

/** `status.metrics.image`: each size is taken from the first status that reports it, then kept. */
export function firstImageMetrics(
  current: ImageMetrics | undefined,
  incoming: ImageMetrics | undefined,
): ImageMetrics | undefined {
  const totalSize = current?.totalSize || incoming?.totalSize;
  const workspaceImageSize = current?.workspaceImageSize || incoming?.workspaceImageSize;
  if (!totalSize && !workspaceImageSize) return undefined;
  return { totalSize, workspaceImageSize };
}

/** The stored value when it is non-empty, else the incoming one (first write wins). */
export function firstNonEmpty(current: string | undefined, incoming: string | undefined): string | undefined {
  return current || incoming || undefined;
}
