/**
 * Builds the BridgeConfig once at start: defaults < config file < environment < command-line flags.
 * Invalid input is a startup error (ConfigError) that names the flag, variable or file key it came from.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { DEFAULT_BACKOFF } from '../lifecycle/backoff.js';
import { parseLogLevel } from '../observability/logger.js';
import type { BridgeConfig } from './config.js';
import {
  ConfigError,
  envVar,
  flagOrEnv,
  parseSetting,
  type SettingSource,
  type Sourced,
} from './config-error.js';
import { readConfigFile } from './config-file.js';
import {
  checkDatabaseUrl,
  checkRedisUrl,
  redisUrlFromAddress,
  withRedisCredentials,
} from './connection-urls.js';
import { parseDuration, parseHostPort } from './duration.js';
import { debugAddress, healthAddress } from './endpoint-addresses.js';
import type { ConfigFile } from './file-schema.js';
import {
  requirePlaintextAllowed,
  requireUniqueNames,
  staticFromFile,
  staticFromFlag,
  type ConfiguredCluster,
} from './static-clusters.js';

export { ConfigError } from './config-error.js';
export { plainStaticCluster } from './static-clusters.js';

/** Settings given on the command line; undefined means "not given". */
export interface ConfigFlags {
  configPath?: string;
  databaseUrl?: string;
  redisUrl?: string;
  clusters?: string[];
  adoptUnknown?: boolean;
  allowPlaintextClusters?: boolean;
  httpAddr?: string;
  healthAddr?: string;
  debugAddr?: string;
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

/** What the command loading the configuration will do with it. */
export interface LoadConfigOptions {
  /**
   * The command connects to the static clusters (`serve`): a cluster without TLS is then refused unless
   * plain text is allowed. `migrate` does not connect, so it does not care. @default false
   */
  connectsToClusters?: boolean;
}

type Env = Record<string, string | undefined>;

/** A positive duration given as text (bare numbers are seconds). */
function positiveDuration(raw: string): number {
  const ms = parseDuration(raw, 's');
  if (ms <= 0) throw new Error('must be > 0');
  return ms;
}

function seconds(env: Env, name: string, fromFile: number | undefined, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return (fromFile ?? fallback) * 1000;
  return parseSetting({ value: raw, source: envVar(name) }, positiveDuration);
}

/** A whole number >= 1 from the environment, else the file's (undefined when neither sets it). */
function count(env: Env, name: string, fromFile: number | undefined): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return fromFile;
  return parseSetting({ value: raw, source: envVar(name) }, (value) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`must be a whole number >= 1, not "${value}"`);
    return n;
  });
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

function boolEnv(env: Env, name: string): boolean | undefined {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (['1', 'true', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'no'].includes(raw)) return false;
  throw new ConfigError(envVar(name), `use true or false, not "${env[name]}"`);
}

function redisUrl(
  flags: ConfigFlags,
  env: Env,
  file: ConfigFile,
  path: string | undefined,
): string | undefined {
  const given = flagOrEnv(flags.redisUrl, '--redis-url', env, 'REDIS_URL');
  if (given) return withRedisCredentials({ ...given, value: checkRedisUrl(given) }, env);
  if (!file.redis || !path) return withRedisCredentials(undefined, env);
  const source = { kind: 'file', key: 'redis.address', path } as const;
  return withRedisCredentials(
    { value: redisUrlFromAddress({ value: file.redis.address, source }), source },
    env,
  );
}

function staticClusters(
  flags: ConfigFlags,
  file: ConfigFile,
  path: string | undefined,
  baseDir: string,
): ConfiguredCluster[] {
  const configured = [
    ...(file.staticBridges ?? []).map((entry, i) => staticFromFile(entry, i, path ?? '', baseDir)),
    ...(flags.clusters ?? []).map(staticFromFlag),
  ];
  requireUniqueNames(configured);
  return configured;
}

/**
 * Loads and freezes the configuration. Throws ConfigError naming the bad setting and where it was
 * given: a flag, an environment variable, or a key of the config file.
 */
export function loadConfig(
  flags: ConfigFlags = {},
  env: Env = process.env,
  options: LoadConfigOptions = {},
): Readonly<BridgeConfig> {
  const fileSetting = flagOrEnv(flags.configPath, '--config', env, 'WSMAN_BRIDGE_CONFIGPATH');
  const file: ConfigFile = fileSetting ? readConfigFile(fileSetting) : {};
  const path = fileSetting?.value;
  const baseDir = env.TELEPRESENCE_ROOT ?? process.cwd();
  const configured = staticClusters(flags, file, path, baseDir);
  const allowPlaintextClusters =
    flags.allowPlaintextClusters ?? boolEnv(env, 'ALLOW_PLAINTEXT_CLUSTERS') ?? false;
  if (options.connectsToClusters) requirePlaintextAllowed(configured, allowPlaintextClusters);
  const demoEnabled = flags.demo ?? (configured.length === 0 && boolEnv(env, 'BRIDGE_DEMO') !== false);
  const config: BridgeConfig = {
    databaseUrl: checkDatabaseUrl(flagOrEnv(flags.databaseUrl, '--database-url', env, 'DATABASE_URL')),
    redisUrl: redisUrl(flags, env, file, path),
    installation: file.installation ?? 'default',
    staticClusters: configured.map((c) => c.cluster),
    demo: {
      enabled: demoEnabled,
      workspaces: flags.demoWorkspaces ?? 8,
      updatesPerSecond: flags.demoRate ?? 4,
    },
    adoptUnknown: flags.adoptUnknown ?? boolEnv(env, 'ADOPT_UNKNOWN_INSTANCES') ?? false,
    allowPlaintextClusters,
    wsman: {
      tlsServerName: env.WSMAN_TLS_SERVER_NAME || 'ws-manager',
      backoff: { ...DEFAULT_BACKOFF },
      healthyResetMs: 60_000,
      unaryDeadlineMs: 30_000,
      keepalive: {
        timeMs: seconds(env, 'WSMAN_KEEPALIVE_TIME_SECONDS', undefined, 60),
        timeoutMs: seconds(env, 'WSMAN_KEEPALIVE_TIMEOUT_SECONDS', undefined, 10),
      },
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
    stopInstancesAfterDisconnectMs: optional(
      flagOrEnv(
        flags.stopInstancesAfterDisconnect,
        '--stop-instances-after-disconnect',
        env,
        'STOP_INSTANCES_AFTER_DISCONNECT',
      ),
      positiveDuration,
    ),
    stoppedPrebuildStatuses:
      flags.stoppedPrebuildStatuses ?? boolEnv(env, 'STOPPED_PREBUILD_STATUSES') ?? false,
    timeouts: phaseTimeouts(env, file),
    replicaId: env.BRIDGE_REPLICA_ID || `${hostname()}-${process.pid}`,
    clusterLeaseMs: seconds(env, 'CLUSTER_LEASE_SECONDS', file.clusterLeaseSeconds, 15),
    maxBacklog: count(env, 'BRIDGE_MAX_BACKLOG', file.maxBacklog),
    maxInstances: count(env, 'BRIDGE_MAX_INSTANCES', file.maxInstances),
    http: optional(flagOrEnv(flags.httpAddr, '--http-addr', env, 'BRIDGE_HTTP_ADDR'), parseHostPort) ?? {
      host: '127.0.0.1',
      port: 9500,
    },
    health: healthAddress(flags.healthAddr, env),
    debug: debugAddress(flags.debugAddr, env),
    clusterService: clusterServiceConfig(flags, env, file, path),
    logLevel: optional(flagOrEnv(flags.logLevel, '--log-level', env, 'LOG_LEVEL'), parseLogLevel) ?? 'info',
    logFormat: logFormat(flagOrEnv(flags.logFormat, '--log-format', env, 'LOG_FORMAT')),
    progress: flags.progress ?? false,
  };
  return deepFreeze(config);
}

function optional<R>(setting: Sourced<string> | undefined, parse: (value: string) => R): R | undefined {
  return setting ? parseSetting(setting, parse) : undefined;
}

/** Resolves the log format; without a setting, humans at a terminal get pretty lines. */
export function logFormat(
  setting: Sourced<string> | undefined,
  tty: boolean = Boolean(process.stdout.isTTY),
): 'json' | 'pretty' {
  if (setting === undefined) return tty ? 'pretty' : 'json';
  const value = setting.value;
  if (value === 'json' || value === 'pretty') return value;
  throw new ConfigError(setting.source, `use json or pretty, not "${value}"`);
}

function readFileSetting(setting: Sourced<string> | undefined): Buffer | undefined {
  if (!setting) return undefined;
  try {
    return readFileSync(setting.value);
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(setting.source, `cannot read ${setting.value} (${code})`);
  }
}

function clusterServiceAddress(
  flags: ConfigFlags,
  env: Env,
  file: ConfigFile,
  path: string | undefined,
): Sourced<string> {
  const given = flagOrEnv(flags.clusterServiceAddr, '--cluster-service-addr', env, 'CLUSTER_SERVICE_ADDR');
  if (given) return given;
  const fromFile: SettingSource = { kind: 'file', key: 'clusterService', path: path ?? '' };
  const { host = '127.0.0.1', port = 8080 } = file.clusterService ?? {};
  return { value: `${host}:${port}`, source: fromFile };
}

function clusterServiceConfig(
  flags: ConfigFlags,
  env: Env,
  file: ConfigFile,
  path: string | undefined,
): BridgeConfig['clusterService'] {
  const where = parseSetting(clusterServiceAddress(flags, env, file, path), parseHostPort);
  const setting = (value: string | undefined, flagName: string, envName: string): Buffer | undefined =>
    readFileSetting(flagOrEnv(value, flagName, env, envName));
  const cert = setting(flags.clusterServiceTlsCert, '--cluster-service-tls-cert', 'CLUSTER_SERVICE_TLS_CERT');
  const key = setting(flags.clusterServiceTlsKey, '--cluster-service-tls-key', 'CLUSTER_SERVICE_TLS_KEY');
  const clientCa = setting(
    flags.clusterServiceTlsClientCa,
    '--cluster-service-tls-client-ca',
    'CLUSTER_SERVICE_TLS_CLIENT_CA',
  );
  if (Boolean(cert) !== Boolean(key)) {
    throw new ConfigError(
      undefined,
      'the ClusterService certificate and key go together: give both --cluster-service-tls-cert and --cluster-service-tls-key (or CLUSTER_SERVICE_TLS_CERT and CLUSTER_SERVICE_TLS_KEY)',
    );
  }
  if (clientCa && !cert) {
    throw new ConfigError(
      undefined,
      'a ClusterService client CA (mTLS) needs the service certificate and key: --cluster-service-tls-cert and --cluster-service-tls-key (or CLUSTER_SERVICE_TLS_CERT and CLUSTER_SERVICE_TLS_KEY)',
    );
  }
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
