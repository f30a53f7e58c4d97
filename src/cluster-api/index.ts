/** The gRPC ClusterService: server, its dependencies and the pure request checks. */
export { ClusterServiceServer, CLUSTER_SERVICE_STATES } from './cluster-service-server.js';
export type { ClusterServiceServerOptions, ClusterServiceState } from './cluster-service-server.js';
export type { ClusterServiceDeps, DescribeTarget } from './deps.js';
export {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ServiceStoppingError,
  UnauthenticatedError,
} from './errors.js';
export type { ClusterApiError } from './errors.js';
export { isLoopbackHost } from './listen-security.js';
export { ClusterApiClient } from './cluster-api-client.js';
export type { ClusterApiClientOptions, ClusterApiTls } from './cluster-api-client.js';
