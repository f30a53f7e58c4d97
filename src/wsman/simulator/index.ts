/** The simulated ws-manager: real `wsman.WorkspaceManager` protocol, workspaces in memory. */
export {
  DEFAULT_WORKSPACE_CLASSES,
  SimulatedWsManager,
  type SimulatorHooks,
  type SimulatorOptions,
} from './simulated-ws-manager.js';
export type { LoadOptions, LoadResult } from './load-driver.js';
export { SimulatorError, SimulatorErrorCode, isSimulatorError } from './simulator-error.js';
export {
  EMITTED_AT_ANNOTATION,
  FAILABLE_STEPS,
  FAIL_AT_ANNOTATION,
  HEADLESS_TASK_FAILED_ANNOTATION,
  LIFECYCLE_STEPS,
  STEP_PHASE,
  nextStep,
  type FailableStep,
  type LifecycleStep,
} from './workspace-lifecycle.js';
export { createTemplate, statusAt, type WorkspaceTemplate } from './workspace-status.js';
export { matchesFilter } from './metadata-filter.js';
