/**
 * A ws-manager that says exactly what a test tells it to, including what no real one should: any
 * status, of any size, on the stream only or also in GetWorkspaces. For hostile-input tests; the
 * simulator only ever emits well-formed statuses.
 */
import {
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import {
  WorkspaceManagerService,
  type DescribeClusterRequest,
  type DescribeClusterResponse,
  type GetWorkspacesRequest,
  type GetWorkspacesResponse,
  type SubscribeRequest,
  type SubscribeResponse,
  type WorkspaceStatus,
} from '../../src/generated/wsman/core.js';

type Stream = ServerWritableStream<SubscribeRequest, SubscribeResponse>;

export class ScriptedWsman {
  /** What GetWorkspaces lists, by instance id. */
  readonly listed = new Map<string, WorkspaceStatus>();
  readonly #server: Server;
  readonly #streams = new Set<Stream>();
  #port = 0;

  private constructor() {
    this.#server = new Server();
    const getWorkspaces: handleUnaryCall<GetWorkspacesRequest, GetWorkspacesResponse> = (_call, callback) =>
      callback(null, { status: [...this.listed.values()] });
    const subscribe: handleServerStreamingCall<SubscribeRequest, SubscribeResponse> = (call) => {
      this.#streams.add(call);
      call.sendMetadata(call.metadata.clone());
      const forget = (): void => void this.#streams.delete(call);
      call.on('cancelled', forget);
      call.on('close', forget);
      call.on('error', forget);
    };
    const describeCluster: handleUnaryCall<DescribeClusterRequest, DescribeClusterResponse> = (
      _call,
      callback,
    ) => callback(null, { workspaceClasses: [], preferredWorkspaceClass: '' });
    this.#server.addService(WorkspaceManagerService, { getWorkspaces, subscribe, describeCluster });
  }

  /** Serves plain text on 127.0.0.1 and a free port. */
  static async start(): Promise<ScriptedWsman> {
    const wsman = new ScriptedWsman();
    wsman.#port = await new Promise<number>((resolve, reject) =>
      wsman.#server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
    return wsman;
  }

  get port(): number {
    return this.#port;
  }

  /** Open Subscribe streams. */
  get subscribers(): number {
    return this.#streams.size;
  }

  /**
   * Sends a status on every open stream and, unless `listed` is false, lists it in GetWorkspaces
   * from now on (a status only on the stream is one a resync will not repeat).
   */
  emit(status: WorkspaceStatus, options: { listed?: boolean } = {}): void {
    if (options.listed ?? true) this.listed.set(status.id, status);
    for (const stream of this.#streams) stream.write({ status, header: {} });
  }

  /** Ends every stream with UNAVAILABLE and stops the server. */
  close(): void {
    for (const stream of this.#streams)
      stream.emit('error', { code: GrpcStatus.UNAVAILABLE, details: 'closing' });
    this.#server.forceShutdown();
  }
}
