/**
 * A lean protobuf decoder for the two ws-manager responses the bridge streams: `SubscribeResponse`
 * and `GetWorkspacesResponse`. It builds the same `WorkspaceStatus` objects as the generated
 * decoder for every field the bridge reads, and skips the rest without decoding it:
 * `repo`, `spec.workspace_image`, `spec.ide_image`, `spec.class`, `spec.ide_image_layers`,
 * `spec.closed_timeout` and `conditions.volume_snapshot` come back as their empty defaults. Skipping
 * the Git status and the image references saves most of the decoding and of the memory a queued
 * status holds. `SubscribeResponse.header` (trace context) is read when a ws-manager sends one;
 * responses without one share a frozen empty map.
 *
 * Like the generated decoder, a repeated singular field keeps its last value, a field with an
 * unexpected wire type is skipped, and input that ends inside a field throws.
 */
import type {
  GetWorkspacesResponse,
  InitializerMetric,
  InitializerMetrics,
  PortSpec,
  SubscribeResponse,
  WorkspaceAuthentication,
  WorkspaceConditions,
  WorkspaceMetadata,
  WorkspaceMetadata_ImageInfo,
  WorkspaceRuntimeInfo,
  WorkspaceSpec,
  WorkspaceStatus,
} from '../generated/wsman/core.js';
import { ProtoReader } from './proto-reader.js';

/** The header of every response that carries none (read-only). */
const NO_HEADER: Record<string, string> = Object.freeze({});

/** Decodes `SubscribeResponse` bytes. Throws on malformed input. */
export function decodeSubscribeResponse(bytes: Uint8Array): SubscribeResponse {
  const r = new ProtoReader(bytes);
  let status: WorkspaceStatus | undefined;
  let header: Record<string, string> | undefined;
  while (r.more(r.length)) {
    const tag = r.uint32();
    if (tag === 10) status = readStatus(r, r.lengthEnd());
    else if (tag === 26) readAnnotation(r, r.lengthEnd(), (header ??= {}));
    else r.skip(tag);
  }
  return { status, header: header ?? NO_HEADER };
}

/** Decodes `GetWorkspacesResponse` bytes. Throws on malformed input. */
export function decodeGetWorkspacesResponse(bytes: Uint8Array): GetWorkspacesResponse {
  const r = new ProtoReader(bytes);
  const status: WorkspaceStatus[] = [];
  while (r.more(r.length)) {
    const tag = r.uint32();
    if (tag === 10) status.push(readStatus(r, r.lengthEnd()));
    else r.skip(tag);
  }
  return { status };
}

function readStatus(r: ProtoReader, end: number): WorkspaceStatus {
  const s: WorkspaceStatus = {
    id: '',
    metadata: undefined,
    spec: undefined,
    phase: 0,
    conditions: undefined,
    message: '',
    repo: undefined,
    runtime: undefined,
    auth: undefined,
    statusVersion: 0n,
    initializerMetrics: undefined,
  };
  while (r.more(end)) {
    const tag = r.uint32();
    if (tag === 10) s.id = r.string();
    else if (tag === 18) s.metadata = readMetadata(r, r.lengthEnd());
    else if (tag === 26) s.spec = readSpec(r, r.lengthEnd());
    else if (tag === 32) s.phase = r.enumValue();
    else if (tag === 42) s.conditions = readConditions(r, r.lengthEnd());
    else if (tag === 50) s.message = r.string();
    else if (tag === 66) s.runtime = readRuntime(r, r.lengthEnd());
    else if (tag === 74) s.auth = readAuth(r, r.lengthEnd());
    else if (tag === 80) s.statusVersion = r.uint64();
    else if (tag === 90) s.initializerMetrics = readInitializerMetrics(r, r.lengthEnd());
    else r.skip(tag);
  }
  return s;
}

function readMetadata(r: ProtoReader, end: number): WorkspaceMetadata {
  const m: WorkspaceMetadata = {
    owner: '',
    metaId: '',
    startedAt: undefined,
    annotations: {},
    team: undefined,
    project: undefined,
    metrics: undefined,
  };
  while (r.more(end)) {
    const tag = r.uint32();
    if (tag === 10) m.owner = r.string();
    else if (tag === 18) m.metaId = r.string();
    else if (tag === 26) m.startedAt = r.timestamp(r.lengthEnd());
    else if (tag === 34) readAnnotation(r, r.lengthEnd(), m.annotations);
    else if (tag === 42) m.team = r.string();
    else if (tag === 50) m.project = r.string();
    else if (tag === 58) m.metrics = { image: readImageMetrics(r, r.lengthEnd()) };
    else r.skip(tag);
  }
  return m;
}

function readAnnotation(r: ProtoReader, end: number, into: Record<string, string>): void {
  let key = '';
  let value = '';
  while (r.more(end)) {
    const tag = r.uint32();
    if (tag === 10) key = r.string();
    else if (tag === 18) value = r.string();
    else r.skip(tag);
  }
  into[key] = value;
}

// `WorkspaceMetadata.Metrics`: only its `image` field exists.
function readImageMetrics(r: ProtoReader, end: number): WorkspaceMetadata_ImageInfo | undefined {
  let image: WorkspaceMetadata_ImageInfo | undefined;
  while (r.more(end)) {
    const tag = r.uint32();
    if (tag !== 10) {
      r.skip(tag);
      continue;
    }
    const imageEnd = r.lengthEnd();
    image = { totalSize: 0n, workspaceImageSize: 0n };
    while (r.more(imageEnd)) {
      const field = r.uint32();
      if (field === 8) image.totalSize = r.int64();
      else if (field === 16) image.workspaceImageSize = r.int64();
      else r.skip(field);
    }
  }
  return image;
}

function readSpec(r: ProtoReader, end: number): WorkspaceSpec {
  const s: WorkspaceSpec = {
    workspaceImage: '',
    headless: false,
    url: '',
    exposedPorts: [],
    type: 0,
    timeout: '',
    ideImage: undefined,
    class: '',
    ideImageLayers: [],
    closedTimeout: '',
  };
  while (r.more(end)) {
    const tag = r.uint32();
    if (tag === 24) s.headless = r.uint32() !== 0;
    else if (tag === 34) s.url = r.string();
    else if (tag === 42) s.exposedPorts.push(readPort(r, r.lengthEnd()));
    else if (tag === 48) s.type = r.enumValue();
    else if (tag === 58) s.timeout = r.string();
    else r.skip(tag);
  }
  return s;
}

function readPort(r: ProtoReader, end: number): PortSpec {
  const p: PortSpec = { port: 0, visibility: 0, url: '', protocol: 0 };
  while (r.more(end)) {
    const tag = r.uint32();
    if (tag === 8) p.port = r.uint32();
    else if (tag === 24) p.visibility = r.enumValue();
    else if (tag === 34) p.url = r.string();
    else if (tag === 40) p.protocol = r.enumValue();
    else r.skip(tag);
  }
  return p;
}

function readConditions(r: ProtoReader, end: number): WorkspaceConditions {
  const c: WorkspaceConditions = {
    failed: '',
    timeout: '',
    pullingImages: 0,
    snapshot: '',
    finalBackupComplete: 0,
    deployed: 0,
    networkNotReady: 0,
    firstUserActivity: undefined,
    headlessTaskFailed: '',
    stoppedByRequest: 0,
    volumeSnapshot: undefined,
    aborted: 0,
  };
  while (r.more(end)) {
    const tag = r.uint32();
    if (tag === 10) c.failed = r.string();
    else if (tag === 18) c.timeout = r.string();
    else if (tag === 24) c.pullingImages = r.enumValue();
    else if (tag === 42) c.snapshot = r.string();
    else if (tag === 48) c.finalBackupComplete = r.enumValue();
    else if (tag === 56) c.deployed = r.enumValue();
    else if (tag === 64) c.networkNotReady = r.enumValue();
    else if (tag === 74) c.firstUserActivity = r.timestamp(r.lengthEnd());
    else if (tag === 82) c.headlessTaskFailed = r.string();
    else if (tag === 88) c.stoppedByRequest = r.enumValue();
    else if (tag === 104) c.aborted = r.enumValue();
    else r.skip(tag);
  }
  return c;
}

function readRuntime(r: ProtoReader, end: number): WorkspaceRuntimeInfo {
  const rt: WorkspaceRuntimeInfo = { nodeName: '', podName: '', nodeIp: '' };
  while (r.more(end)) {
    const tag = r.uint32();
    if (tag === 10) rt.nodeName = r.string();
    else if (tag === 18) rt.podName = r.string();
    else if (tag === 26) rt.nodeIp = r.string();
    else r.skip(tag);
  }
  return rt;
}

function readAuth(r: ProtoReader, end: number): WorkspaceAuthentication {
  const a: WorkspaceAuthentication = { admission: 0, ownerToken: '' };
  while (r.more(end)) {
    const tag = r.uint32();
    if (tag === 8) a.admission = r.enumValue();
    else if (tag === 18) a.ownerToken = r.string();
    else r.skip(tag);
  }
  return a;
}

const INITIALIZERS = ['git', 'fileDownload', 'snapshot', 'backup', 'prebuild', 'composite'] as const;

function readInitializerMetrics(r: ProtoReader, end: number): InitializerMetrics {
  const m: InitializerMetrics = {
    git: undefined,
    fileDownload: undefined,
    snapshot: undefined,
    backup: undefined,
    prebuild: undefined,
    composite: undefined,
  };
  while (r.more(end)) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const name = INITIALIZERS[field - 1];
    if ((tag & 7) === 2 && name !== undefined) m[name] = readInitializerMetric(r, r.lengthEnd());
    else r.skip(tag);
  }
  return m;
}

function readInitializerMetric(r: ProtoReader, end: number): InitializerMetric {
  const m: InitializerMetric = { duration: undefined, size: 0n };
  while (r.more(end)) {
    const tag = r.uint32();
    if (tag === 10) m.duration = r.duration(r.lengthEnd());
    else if (tag === 16) m.size = r.uint64();
    else r.skip(tag);
  }
  return m;
}
