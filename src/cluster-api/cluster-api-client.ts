/** A promise-based ClusterService client (used by the CLI), with deadline, token and TLS options. */
import { credentials, Metadata, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import {
  ClusterServiceClient,
  DeregisterRequest,
  ListRequest,
  type ClusterStatus,
  type ListResponse,
  type RegisterRequest,
  type UpdateRequest,
} from '../generated/workspacemanagerbridge/cluster-service.js';

/** TLS to the ClusterService: a CA enables TLS; cert and key add a client certificate (mTLS). */
export interface ClusterApiTls {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Name the server certificate must be valid for, when it differs from the address's host. */
  serverName?: string;
}

/** Options of ClusterApiClient. */
export interface ClusterApiClientOptions {
  /** `host:port` of the ClusterService. */
  address: string;
  /** Sent as `authorization: Bearer <token>`. Secret: never logged. */
  token?: string;
  /** Plain text when absent. */
  tls?: ClusterApiTls;
  /** Deadline of each call. @default 30000 */
  deadlineMs?: number;
  /** Sent as metadata `client-name`, which the service logs. @default 'ws-manager-bridge-cli' */
  clientName?: string;
}

type Callback<Res> = (error: ServiceError | null, response: Res) => void;

/** ClusterService client; every method rejects with the grpc-js ServiceError of a failed call. */
export class ClusterApiClient {
  readonly #client: ClusterServiceClient;
  readonly #options: ClusterApiClientOptions;

  constructor(options: ClusterApiClientOptions) {
    this.#options = options;
    const channelOptions = options.tls?.serverName
      ? { 'grpc.ssl_target_name_override': options.tls.serverName }
      : {};
    this.#client = new ClusterServiceClient(
      options.address,
      channelCredentialsOf(options.tls),
      channelOptions,
    );
  }

  /** Register RPC. */
  async register(request: RegisterRequest): Promise<void> {
    await this.#call<unknown>((md, opts, cb) => this.#client.register(request, md, opts, cb));
  }

  /** Update RPC. */
  async update(request: UpdateRequest): Promise<void> {
    await this.#call<unknown>((md, opts, cb) => this.#client.update(request, md, opts, cb));
  }

  /** Deregister RPC. */
  async deregister(name: string, force: boolean): Promise<void> {
    const request = DeregisterRequest.fromPartial({ name, force });
    await this.#call<unknown>((md, opts, cb) => this.#client.deregister(request, md, opts, cb));
  }

  /** List RPC: stored clusters first, then static ones. */
  async list(): Promise<ClusterStatus[]> {
    const request = ListRequest.fromPartial({});
    const response = await this.#call<ListResponse>((md, opts, cb) =>
      this.#client.list(request, md, opts, cb),
    );
    return response.status;
  }

  /** Closes the channel. */
  close(): void {
    this.#client.close();
  }

  #call<Res>(invoke: (md: Metadata, opts: { deadline: number }, cb: Callback<Res>) => unknown): Promise<Res> {
    const metadata = new Metadata();
    metadata.set('client-name', this.#options.clientName ?? 'ws-manager-bridge-cli');
    if (this.#options.token) metadata.set('authorization', `Bearer ${this.#options.token}`);
    const deadline = Date.now() + (this.#options.deadlineMs ?? 30_000);
    return new Promise((resolve, reject) => {
      invoke(metadata, { deadline }, (error, response) => (error ? reject(error) : resolve(response)));
    });
  }
}

function channelCredentialsOf(tls: ClusterApiTls | undefined): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  return credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null);
}
