/** The checks StartWorkspace makes before a workspace exists. */
import type { StartWorkspaceRequest } from '../../generated/wsman/core.js';
import { WorkspaceType } from '../../generated/wsman/core.js';
import { SimulatorError, SimulatorErrorCode } from './simulator-error.js';
import {
  FAILABLE_STEPS,
  FAIL_AT_ANNOTATION,
  HEADLESS_TASK_FAILED_ANNOTATION,
  parseFailAt,
} from './workspace-lifecycle.js';

const KNOWN_TYPES: ReadonlySet<number> = new Set([
  WorkspaceType.REGULAR,
  WorkspaceType.PREBUILD,
  WorkspaceType.IMAGEBUILD,
]);

/**
 * Throws SimulatorError(invalid-argument) unless the request has an id, metadata with owner and
 * meta_id, a known workspace type, if present a valid `sim/fail-at` annotation and, if not empty, a
 * `sim/headless-task-failed` annotation only on a headless workspace (a regular one has no task).
 */
export function validateStartRequest(request: StartWorkspaceRequest): void {
  const invalid = (problem: string): SimulatorError =>
    new SimulatorError(SimulatorErrorCode.invalidArgument, problem);
  if (request.id === '') throw invalid('id is required');
  const metadata = request.metadata;
  if (!metadata) throw invalid('metadata is required');
  if (metadata.owner === '') throw invalid('metadata.owner is required');
  if (metadata.metaId === '') throw invalid('metadata.meta_id is required');
  if (!KNOWN_TYPES.has(request.type)) throw invalid(`unknown workspace type ${request.type}`);
  if (parseFailAt(metadata.annotations[FAIL_AT_ANNOTATION]) === null) {
    throw invalid(`annotation ${FAIL_AT_ANNOTATION} must be one of ${FAILABLE_STEPS.join(', ')}`);
  }
  if (request.type === WorkspaceType.REGULAR && metadata.annotations[HEADLESS_TASK_FAILED_ANNOTATION]) {
    throw invalid(`annotation ${HEADLESS_TASK_FAILED_ANNOTATION} needs a PREBUILD or IMAGEBUILD workspace`);
  }
}
