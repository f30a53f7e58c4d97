/**
 * Builds the BridgeConfig once at start: defaults < config file < environment < command-line flags.
 * Invalid input is a startup error that names the setting.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { DEFAULT_BACKOFF } from '../lifecycle/backoff.js';
import type { ClusterTls } from '../store/types.js';
import type { BridgeConfig, StaticCluster } from './config.js';
import { parseDuration, parseHostPort } from './duration.js';
import { configFileSchema, type ConfigFile, type StaticClusterFileEntry } from './file-schema.js';

/** Settings given on the command line; undefined means "not given". */
export interface ConfigFlags {
  configPath?: string;
  databaseUrl?: string;
  redisUrl?: string;
  clusters?: string[];
  adoptUnknown?: boolean;
  allowPlaintextClusters?: boolean;
  httpAddr?: string;
  clusterServiceAddr?: string;
  clusterServiceTlsCert?: string;
  clusterServiceTlsKey?: string;
  clusterServiceTlsClientCa?: string;
  insecureClusterService?: boolean;
  logLevel?: string;
  logFormat?: string;
  demo?: boolean;
  demoWorkspaces?: number;
  demoRate?: number;
  progress?: boolean;
  stopInstancesAfterDisconnect?: string;
  stoppedPrebuildStatuses?: boolean;
}

/** A config error: its message names the setting and what to fix. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error: unknown) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`config file ${path} is not valid JSON`);
  }
  const parsed = configFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`config file ${path}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}

function readPemAsBase64(path: string, baseDir: string, field: string): string {
  const full = isAbsolute(path) ? path : resolve(baseDir, path);
  try {
    return readFileSync(full).toString('base64');
  } catch (error: unknown) {
    throw new ConfigError(
      `${field}: cannot read ${full}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

function staticFromFile(entry: StaticClusterFileEntry, baseDir: string): StaticCluster {
  let tls: ClusterTls | undefined;
  if (entry.tls) {
    const at = `staticBridges[${entry.name}].tls`;
    tls = {
      ca: readPemAsBase64(entry.tls.ca, baseDir, `${at}.ca`),
      crt: readPemAsBase64(entry.tls.crt, baseDir, `${at}.crt`),
      key: readPemAsBase64(entry.tls.key, baseDir, `${at}.key`),
    };
  }
  return {
    name: entry.name,
    url: entry.url,
    tls,
    state: entry.state,
    score: entry.score,
    maxScore: entry.maxScore,
    govern: entry.govern,
    region: entry.region,
    admissionConstraints: entry.admissionConstraints ?? [],
  };
}

function staticFromFlag(flag: string): StaticCluster {
  const eq = flag.indexOf('=');
  const name = flag.slice(0, eq).trim();
  const url = flag.slice(eq + 1).trim();
  if (eq <= 0 || !name || !url || name.length > 64) {
    throw new ConfigError(`--cluster "${flag}": use NAME=URL, e.g. --cluster eu1=127.0.0.1:8081`);
  }
  return plainStaticCluster(name, url);
}

/** A static cluster with the defaults of a `staticBridges` entry and no TLS. */
export function plainStaticCluster(name: string, url: string): StaticCluster {
  return {
    name,
    url,
    state: 'available',
    score: 50,
    maxScore: 100,
    govern: true,
    region: '',
    admissionConstraints: [],
  };
}

/** A positive duration given as text (bare numbers are seconds), reported under `setting`. */
function positiveDuration(raw: string, setting: string): number {
  try {
    const ms = parseDuration(raw, 's');
    if (ms <= 0) throw new Error('must be > 0');
    return ms;
  } catch (error: unknown) {
    throw new ConfigError(`${setting}: ${(error as Error).message}`);
  }
}

function seconds(env: Env, name: string, fromFile: number | undefined, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return (fromFile ?? fallback) * 1000;
  return positiveDuration(raw, name);
}

/** The phase timeouts: file keys `timeouts.<x>PhaseSeconds`, env `TIMEOUTS_<X>_PHASE_SECONDS`. */
function phaseTimeouts(env: Env, file: ConfigFile): BridgeConfig['timeouts'] {
  const t = file.timeouts ?? {};
  return {
    preparingMs: seconds(env, 'TIMEOUTS_PREPARING_PHASE_SECONDS', t.preparingPhaseSeconds, 3600),
    buildingMs: seconds(env, 'TIMEOUTS_BUILDING_PHASE_SECONDS', t.buildingPhaseSeconds, 3600),
    unknownMs: seconds(env, 'TIMEOUTS_UNKNOWN_PHASE_SECONDS', t.unknownPhaseSeconds, 600),
    pendingMs: seconds(env, 'TIMEOUTS_PENDING_PHASE_SECONDS', t.pendingPhaseSeconds, 3600),
    stoppingMs: seconds(env, 'TIMEOUTS_STOPPING_PHASE_SECONDS', t.stoppingPhaseSeconds, 3600),
  };
}

function stopAfterDisconnect(flags: ConfigFlags, env: Env): number | undefined {
  if (flags.stopInstancesAfterDisconnect !== undefined) {
    return positiveDuration(flags.stopInstancesAfterDisconnect, '--stop-instances-after-disconnect');
  }
  const raw = env.STOP_INSTANCES_AFTER_DISCONNECT;
  return raw ? positiveDuration(raw, 'STOP_INSTANCES_AFTER_DISCONNECT') : undefined;
}

function address(value: string, setting: string): { host: string; port: number } {
  try {
    return parseHostPort(value);
  } catch (error: unknown) {
    throw new ConfigError(`${setting}: ${(error as Error).message}`);
  }
}

function boolEnv(env: Env, name: string): boolean | undefined {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (['1', 'true', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name}: use true or false`);
}

function redisFromFile(file: ConfigFile): string | undefined {
  return file.redis ? `redis://${file.redis.address}` : undefined;
}

/** Loads and freezes the configuration. Throws ConfigError naming the bad setting. */
export function loadConfig(flags: ConfigFlags = {}, env: Env = process.env): Readonly<BridgeConfig> {
  const path = flags.configPath ?? env.WSMAN_BRIDGE_CONFIGPATH;
  const file: ConfigFile = path ? readConfigFile(path) : {};
  const baseDir = env.TELEPRESENCE_ROOT ?? process.cwd();
  const staticClusters = [
    ...(file.staticBridges ?? []).map((e) => staticFromFile(e, baseDir)),
    ...(flags.clusters ?? []).map(staticFromFlag),
  ];
  const names = new Set<string>();
  for (const c of staticClusters) {
    if (names.has(c.name)) throw new ConfigError(`cluster "${c.name}" is configured twice`);
    names.add(c.name);
  }
  const demoEnabled = flags.demo ?? (staticClusters.length === 0 && boolEnv(env, 'BRIDGE_DEMO') !== false);
  const config: BridgeConfig = {
    databaseUrl: flags.databaseUrl ?? (env.DATABASE_URL || undefined),
    redisUrl: flags.redisUrl ?? (env.REDIS_URL || undefined) ?? redisFromFile(file),
    installation: file.installation ?? 'default',
    staticClusters,
    demo: {
      enabled: demoEnabled,
      workspaces: flags.demoWorkspaces ?? 8,
      updatesPerSecond: flags.demoRate ?? 4,
    },
    adoptUnknown: flags.adoptUnknown ?? boolEnv(env, 'ADOPT_UNKNOWN_INSTANCES') ?? false,
    allowPlaintextClusters: flags.allowPlaintextClusters ?? boolEnv(env, 'ALLOW_PLAINTEXT_CLUSTERS') ?? false,
    wsman: {
      tlsServerName: env.WSMAN_TLS_SERVER_NAME || 'ws-manager',
      backoff: { ...DEFAULT_BACKOFF },
      healthyResetMs: 60_000,
      unaryDeadlineMs: 30_000,
    },
    controllerIntervalMs: seconds(env, 'CONTROLLER_INTERVAL_SECONDS', file.controllerIntervalSeconds, 60),
    controllerMaxDisconnectMs: seconds(
      env,
      'CONTROLLER_MAX_DISCONNECT_SECONDS',
      file.controllerMaxDisconnectSeconds,
      150,
    ),
    clusterReconcileIntervalMs: seconds(
      env,
      'WS_CLUSTER_DB_RECONCILE_INTERVAL_SECONDS',
      file.wsClusterDBReconcileIntervalSeconds,
      60,
    ),
    stopInstancesAfterDisconnectMs: stopAfterDisconnect(flags, env),
    stoppedPrebuildStatuses:
      flags.stoppedPrebuildStatuses ?? boolEnv(env, 'STOPPED_PREBUILD_STATUSES') ?? false,
    timeouts: phaseTimeouts(env, file),
    replicaId: env.BRIDGE_REPLICA_ID || `${hostname()}-${process.pid}`,
    clusterLeaseMs: seconds(env, 'CLUSTER_LEASE_SECONDS', file.clusterLeaseSeconds, 15),
    http: address(flags.httpAddr ?? env.BRIDGE_HTTP_ADDR ?? '127.0.0.1:9500', 'BRIDGE_HTTP_ADDR'),
    clusterService: clusterServiceConfig(flags, env, file),
    logLevel: flags.logLevel ?? env.LOG_LEVEL ?? 'info',
    logFormat: logFormat(flags.logFormat ?? env.LOG_FORMAT),
    progress: flags.progress ?? false,
  };
  return deepFreeze(config);
}

/** Resolves the log format; without a setting, humans at a terminal get pretty lines. */
export function logFormat(
  value: string | undefined,
  tty: boolean = Boolean(process.stdout.isTTY),
): 'json' | 'pretty' {
  if (value === undefined || value === '') return tty ? 'pretty' : 'json';
  if (value === 'json' || value === 'pretty') return value;
  throw new ConfigError(`LOG_FORMAT: use json or pretty, not "${value}"`);
}

function readFileSetting(path: string | undefined, setting: string): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (error: unknown) {
    throw new ConfigError(
      `${setting}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

function clusterServiceConfig(
  flags: ConfigFlags,
  env: Env,
  file: ConfigFile,
): BridgeConfig['clusterService'] {
  const where = address(
    flags.clusterServiceAddr ??
      env.CLUSTER_SERVICE_ADDR ??
      `${file.clusterService?.host ?? '127.0.0.1'}:${file.clusterService?.port ?? 8080}`,
    'CLUSTER_SERVICE_ADDR',
  );
  const cert = readFileSetting(
    flags.clusterServiceTlsCert ?? env.CLUSTER_SERVICE_TLS_CERT,
    'CLUSTER_SERVICE_TLS_CERT',
  );
  const key = readFileSetting(
    flags.clusterServiceTlsKey ?? env.CLUSTER_SERVICE_TLS_KEY,
    'CLUSTER_SERVICE_TLS_KEY',
  );
  const clientCa = readFileSetting(
    flags.clusterServiceTlsClientCa ?? env.CLUSTER_SERVICE_TLS_CLIENT_CA,
    'CLUSTER_SERVICE_TLS_CLIENT_CA',
  );
  if (Boolean(cert) !== Boolean(key)) {
    throw new ConfigError('CLUSTER_SERVICE_TLS_CERT and CLUSTER_SERVICE_TLS_KEY go together');
  }
  if (clientCa && !cert)
    throw new ConfigError('CLUSTER_SERVICE_TLS_CLIENT_CA needs CLUSTER_SERVICE_TLS_CERT and _KEY');
  return {
    ...where,
    token: env.CLUSTER_SERVICE_TOKEN || undefined,
    tls: cert && key ? { cert, key, clientCa } : undefined,
    insecure: flags.insecureClusterService ?? boolEnv(env, 'INSECURE_CLUSTER_SERVICE') ?? false,
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
