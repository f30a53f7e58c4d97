/**
 * The gRPC edge of the simulator: `wsman.WorkspaceManager` handlers over a backend, and the mapping of
 * simulator errors to gRPC status codes.
 */
import {
  status as GrpcStatus,
  type ServerErrorResponse,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type {
  DescribeClusterResponse,
  MetadataFilter,
  StartWorkspaceRequest,
  StartWorkspaceResponse,
  StopWorkspacePolicy,
  WorkspaceStatus,
  WorkspaceManagerServer,
} from '../../generated/wsman/core.js';
import { WorkspaceManagerService } from '../../generated/wsman/core.js';
import { errorMessage } from '../../lifecycle/abort.js';
import type { Logger } from '../../observability/logger.js';
import { SimulatorErrorCode, isSimulatorError } from './simulator-error.js';
import type { EncodedSubscribeCall } from './subscriber-set.js';

/** What the handlers need from the simulator. */
export interface WsmanBackend {
  startWorkspace(request: StartWorkspaceRequest): StartWorkspaceResponse;
  stopWorkspace(id: string, policy: StopWorkspacePolicy): void;
  listWorkspaces(filter: MetadataFilter | undefined): Promise<WorkspaceStatus[]>;
  describeCluster(): DescribeClusterResponse;
  subscribe(call: EncodedSubscribeCall): void;
}

/**
 * The generated service definition, except that Subscribe sends bytes as they are: the simulator
 * encodes each status once for all streams. The wire format is unchanged.
 */
export const ENCODED_WSMAN_SERVICE = {
  ...WorkspaceManagerService,
  subscribe: { ...WorkspaceManagerService.subscribe, responseSerialize: (bytes: Buffer): Buffer => bytes },
} as const;

const STATUS_OF: Readonly<Record<SimulatorErrorCode, GrpcStatus>> = {
  [SimulatorErrorCode.invalidArgument]: GrpcStatus.INVALID_ARGUMENT,
  [SimulatorErrorCode.alreadyExists]: GrpcStatus.ALREADY_EXISTS,
  [SimulatorErrorCode.notFound]: GrpcStatus.NOT_FOUND,
  [SimulatorErrorCode.failedPrecondition]: GrpcStatus.FAILED_PRECONDITION,
};

/** Simulator errors keep their message; anything else is a bug and is logged, not echoed. */
function toGrpcError(error: unknown, method: string, logger: Logger): Partial<ServerErrorResponse> {
  if (isSimulatorError(error)) return { code: STATUS_OF[error.code], details: error.message };
  logger.error({ method, error: errorMessage(error) }, 'simulator handler failed');
  return { code: GrpcStatus.INTERNAL, details: 'internal error in the simulated ws-manager' };
}

/** Handlers for `server.addService(ENCODED_WSMAN_SERVICE, …)`. */
export function createWsmanHandlers(backend: WsmanBackend, logger: Logger): UntypedServiceImplementation {
  const handlers: Pick<
    WorkspaceManagerServer,
    'getWorkspaces' | 'startWorkspace' | 'stopWorkspace' | 'describeCluster'
  > = {
    getWorkspaces: (call, callback) => {
      void backend
        .listWorkspaces(call.request.mustMatch)
        .then((status) => callback(null, { status }))
        .catch((error: unknown) => callback(toGrpcError(error, 'GetWorkspaces', logger)));
    },
    startWorkspace: (call, callback) => {
      try {
        callback(null, backend.startWorkspace(call.request));
      } catch (error: unknown) {
        callback(toGrpcError(error, 'StartWorkspace', logger));
      }
    },
    stopWorkspace: (call, callback) => {
      try {
        backend.stopWorkspace(call.request.id, call.request.policy);
        callback(null, {});
      } catch (error: unknown) {
        callback(toGrpcError(error, 'StopWorkspace', logger));
      }
    },
    describeCluster: (_call, callback) => callback(null, backend.describeCluster()),
  };
  return { ...handlers, subscribe: (call: EncodedSubscribeCall) => backend.subscribe(call) };
}
