/** The metrics a WorkspaceStatus reports, shaped for `workspace_instance_metrics`. */
import type {
  InitializerMetric as WireInitializerMetric,
  WorkspaceMetadata,
} from '../generated/wsman/core.js';
import type { ImageMetrics, InitializerMetric, InstanceMetrics } from '../store/types.js';
import type { ValidStatus } from './reduction.js';

/** Protobuf cannot tell an unset size from 0, and no image is 0 bytes: both mean "not known yet". */
function knownSize(size: bigint | undefined): number | undefined {
  return size === undefined || size === 0n ? undefined : Number(size);
}

/** Image sizes from `metadata.metrics.image`; undefined when neither size is known. */
export function incomingImageMetrics(metadata: WorkspaceMetadata): ImageMetrics | undefined {
  const image = metadata.metrics?.image;
  const totalSize = knownSize(image?.totalSize);
  const workspaceImageSize = knownSize(image?.workspaceImageSize);
  if (totalSize === undefined && workspaceImageSize === undefined) return undefined;
  return { totalSize, workspaceImageSize };
}

/** One initializer's figures in milliseconds and bytes; undefined without a duration, as the original. */
export function toInitializerMetric(
  metric: WireInitializerMetric | undefined,
): InitializerMetric | undefined {
  const duration = metric?.duration;
  if (!metric || !duration) return undefined;
  return { duration: Number(duration.seconds) * 1000 + duration.nanos / 1e6, size: Number(metric.size) };
}

function initializerMetrics(status: ValidStatus): InstanceMetrics['initializerMetrics'] {
  const wire = status.initializerMetrics;
  if (!wire) return undefined;
  const mapped = {
    git: toInitializerMetric(wire.git),
    fileDownload: toInitializerMetric(wire.fileDownload),
    snapshot: toInitializerMetric(wire.snapshot),
    backup: toInitializerMetric(wire.backup),
    prebuild: toInitializerMetric(wire.prebuild),
    composite: toInitializerMetric(wire.composite),
  };
  return Object.values(mapped).some((metric) => metric !== undefined) ? mapped : undefined;
}

/**
 * What `status` contributes to the instance's metrics row, or undefined when it reports nothing.
 * Unknown values are `undefined`, so a merge never lets them erase what an earlier status reported.
 */
export function metricsFromStatus(status: ValidStatus): InstanceMetrics | undefined {
  const image = incomingImageMetrics(status.metadata);
  const initializer = initializerMetrics(status);
  if (!image && !initializer) return undefined;
  return { image, initializerMetrics: initializer };
}
