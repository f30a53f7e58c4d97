/** The store: ports, row types and `openStore`. Callers depend on these, never on an adapter folder. */
export { DEFAULT_SQLITE_PATH, openStore, parseDatabaseUrl } from './open-store.js';
export type { DatabaseTarget, OpenStoreOptions } from './open-store.js';
export { DuplicateWriteError, InvalidDatabaseUrlError, StoreClosedError } from './errors.js';
export { ClusterExistsError, StoreInUseError } from './ports.js';
export type {
  BatchOptions,
  BatchResult,
  ClusterPatch,
  ClusterStore,
  InstanceNotification,
  InstanceStore,
  InstanceWrite,
  LeaseRow,
  LeaseStore,
  OutboxMessage,
  OutboxStore,
  PlatformStore,
  PrebuildStore,
  Store,
  StoreCapabilities,
} from './ports.js';
export { CLUSTER_STATES, INSTANCE_PHASES, PREBUILD_STATES, WORKSPACE_TYPES } from './types.js';
export type {
  AdmissionConstraint,
  ClusterRow,
  ClusterState,
  ClusterTls,
  ExposedPort,
  ImageMetrics,
  InitializerMetric,
  InstanceConditions,
  InstanceMetrics,
  InstancePhase,
  InstanceRecord,
  InstanceRow,
  InstanceStatus,
  PrebuildRow,
  PrebuildState,
  WorkspaceClassInfo,
  WorkspaceRow,
  WorkspaceType,
} from './types.js';
