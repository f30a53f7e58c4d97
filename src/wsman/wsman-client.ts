/**
 * A thin client for the three ws-manager calls the bridge makes. Every call takes an AbortSignal;
 * unary calls carry a deadline. Statuses (Subscribe, GetWorkspaces) are decoded by the lean decoder
 * (`status-decoder.ts`), which skips the fields the bridge never reads.
 */
import { Metadata, type ChannelOptions, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import {
  DescribeClusterRequest,
  GetWorkspacesRequest,
  WorkspaceManagerClient,
  WorkspaceManagerService,
  type DescribeClusterResponse,
  type GetWorkspacesResponse,
  type SubscribeRequest,
  type SubscribeResponse,
  type WorkspaceStatus,
} from '../generated/wsman/core.js';
import { abortError } from '../lifecycle/abort.js';
import type { ClusterTls } from '../store/types.js';
import { channelCredentials } from './credentials.js';
import { decodeGetWorkspacesResponse, decodeSubscribeResponse } from './status-decoder.js';

const { getWorkspaces: GET_WORKSPACES, subscribe: SUBSCRIBE } = WorkspaceManagerService;

/** Where and how to reach one ws-manager. */
export interface WsmanTarget {
  /** gRPC target, e.g. `dns:///ws-manager:8080` or `127.0.0.1:8080`. */
  url: string;
  tls?: ClusterTls | null;
  /** Name the server certificate must be valid for. @default 'ws-manager' */
  tlsServerName?: string;
  /**
   * HTTP/2 keepalive: a ping after `timeMs` (with or without calls), and the connection is closed
   * when the answer takes longer than `timeoutMs`; a stream on it then fails and reconnects.
   * @default 60 s and 10 s
   */
  keepalive?: { timeMs: number; timeoutMs: number };
}

/** Channel settings for long-lived ws-manager connections (keepalive, fast DNS re-resolution). */
const CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.keepalive_time_ms': 60_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.http2.min_time_between_pings_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc-node.max_session_memory': 50,
  'grpc.max_reconnect_backoff_ms': 5_000,
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
  'grpc.dns_min_time_between_resolutions_ms': 2_000,
  // A large HTTP/2 window lets ws-manager keep sending while the bridge is busy in a write
  // transaction, instead of both sides taking turns (measured: the default 64 KiB halves throughput).
  'grpc-node.flow_control_window': 16 * 1024 * 1024,
};

/**
 * Largest GetWorkspaces answer taken. The snapshot of a whole cluster is one message, about 1.2 KB
 * per workspace: the channels' 16 MiB (the original's limit, kept for every other message) stopped
 * every resync of a cluster listing more than about 13,000 (decision 57).
 */
const SNAPSHOT_MAX_BYTES = 256 * 1024 * 1024;

/** ws-manager client for one cluster. Close it when done. */
export class WsmanClient {
  readonly #client: WorkspaceManagerClient;
  /** GetWorkspaces only, on a channel of its own: gRPC sets the message limit per channel. */
  readonly #snapshots: WorkspaceManagerClient;

  /** Throws InvalidTlsError when the TLS material is unusable. */
  constructor(target: WsmanTarget) {
    const options: ChannelOptions = { ...CHANNEL_OPTIONS };
    if (target.keepalive) {
      options['grpc.keepalive_time_ms'] = target.keepalive.timeMs;
      options['grpc.keepalive_timeout_ms'] = target.keepalive.timeoutMs;
    }
    if (target.tls) options['grpc.ssl_target_name_override'] = target.tlsServerName ?? 'ws-manager';
    const credentials = channelCredentials(target.tls);
    this.#client = new WorkspaceManagerClient(target.url, credentials, options);
    this.#snapshots = new WorkspaceManagerClient(target.url, credentials, {
      ...options,
      'grpc.max_receive_message_length': SNAPSHOT_MAX_BYTES,
    });
  }

  /** The current snapshot of all workspaces. */
  getWorkspaces(signal: AbortSignal, deadlineMs: number): Promise<WorkspaceStatus[]> {
    return this.#unary<GetWorkspacesRequest, WorkspaceStatus[]>(
      (req, md, opts, cb) =>
        this.#snapshots.makeUnaryRequest<GetWorkspacesRequest, GetWorkspacesResponse>(
          GET_WORKSPACES.path,
          GET_WORKSPACES.requestSerialize,
          decodeGetWorkspacesResponse,
          req,
          md,
          opts,
          (e, r) => cb(e, r?.status ?? []),
        ),
      GetWorkspacesRequest.fromPartial({}),
      signal,
      deadlineMs,
    );
  }

  /** Cluster facts (workspace classes). */
  describeCluster(signal: AbortSignal, deadlineMs: number): Promise<DescribeClusterResponse> {
    return this.#unary<DescribeClusterRequest, DescribeClusterResponse>(
      (req, md, opts, cb) => this.#client.describeCluster(req, md, opts, cb),
      DescribeClusterRequest.fromPartial({}),
      signal,
      deadlineMs,
    );
  }

  /** Opens the status stream (no deadline). Cancelled when `signal` fires. */
  subscribe(signal: AbortSignal): ClientReadableStream<SubscribeResponse> {
    const call = this.#client.makeServerStreamRequest<SubscribeRequest, SubscribeResponse>(
      SUBSCRIBE.path,
      SUBSCRIBE.requestSerialize,
      decodeSubscribeResponse,
      { mustMatch: undefined },
      new Metadata(),
    );
    const onAbort = (): void => call.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    call.on('close', () => signal.removeEventListener('abort', onAbort));
    return call;
  }

  close(): void {
    this.#client.close();
    this.#snapshots.close();
  }

  #unary<Req, Res>(
    invoke: (
      req: Req,
      md: Metadata,
      opts: { deadline: number },
      cb: (error: ServiceError | null, res: Res) => void,
    ) => { cancel(): void },
    request: Req,
    signal: AbortSignal,
    deadlineMs: number,
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(abortError(signal));
        return;
      }
      const onAbort = (): void => call.cancel();
      const call = invoke(request, new Metadata(), { deadline: Date.now() + deadlineMs }, (error, res) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) reject(abortError(signal));
        else if (error) reject(error);
        else resolve(res);
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
