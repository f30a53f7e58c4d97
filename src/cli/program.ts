/** The `ws-manager-bridge` command line: one async function per subcommand. */
import { Command, InvalidArgumentError } from 'commander';
import type { ConfigFlags } from '../config/load-config.js';
import { packageVersion } from '../observability/version.js';
import { registerClustersCommands } from './clusters-command.js';
import { migrateCommand } from './migrate-command.js';
import { oneLineParserErrors } from './parser-errors.js';
import { serveCommand } from './serve-command.js';
import { simulateCommand, type SimulateFlags } from './simulate-command.js';

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number >= 0');
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function databaseOptions(cmd: Command): Command {
  // Environment variables are read by loadConfig, not by the parser, so that an error can tell a
  // flag from a variable.
  return cmd
    .option(
      '--database-url <url>',
      'sqlite:PATH or postgres://… (env DATABASE_URL, default ./data/bridge.db)',
    )
    .option('--config <path>', "the original bridge's JSON config file (env WSMAN_BRIDGE_CONFIGPATH)")
    .option('--log-level <level>', 'trace, debug, info, warn, error, fatal or silent (env LOG_LEVEL)')
    .option('--log-format <format>', 'json or pretty (env LOG_FORMAT, default: pretty on a terminal)');
}

/** Builds the program; `run` receives the exit code of the chosen subcommand. */
export function buildProgram(run: (work: () => Promise<number>) => void): Command {
  // Positional options: `clusters --tls-ca X register --tls-ca Y` keeps the two flags apart.
  const program = new Command('ws-manager-bridge')
    .enablePositionalOptions()
    .description('Streams workspace status from ws-manager clusters into the platform database')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride();

  databaseOptions(program.command('serve').description('run the bridge'))
    .option('--redis-url <url>', 'Redis for notifications (env REDIS_URL, default: in-process)')
    .option('--cluster <name=url>', 'a ws-manager to stream from (repeatable)', collect)
    .option('--adopt-unknown', 'create rows for instances the database does not know')
    .option('--allow-plaintext-clusters', 'allow ws-manager connections without TLS (development)')
    .option(
      '--http-addr <host:port>',
      'metrics, status page, health/readiness (env BRIDGE_HTTP_ADDR, default 127.0.0.1:9500)',
    )
    .option(
      '--health-addr <host:port|off>',
      'health/readiness alone, for probes (env BRIDGE_HEALTH_ADDR, default 0.0.0.0:9090)',
    )
    .option(
      '--debug-addr <host:port|off>',
      'loopback debug endpoint, POST /debug/logging (env BRIDGE_DEBUG_ADDR, default 127.0.0.1:6060)',
    )
    .option(
      '--cluster-service-addr <host:port>',
      'ClusterService gRPC (env CLUSTER_SERVICE_ADDR, default 127.0.0.1:8080)',
    )
    .option(
      '--cluster-service-tls-cert <path>',
      'serve the ClusterService with TLS (PEM; env CLUSTER_SERVICE_TLS_CERT)',
    )
    .option(
      '--cluster-service-tls-key <path>',
      'key of --cluster-service-tls-cert (env CLUSTER_SERVICE_TLS_KEY)',
    )
    .option('--cluster-service-tls-client-ca <path>', 'require client certificates from this CA (mTLS)')
    .option('--insecure-cluster-service', 'allow the ClusterService off loopback without TLS or token')
    .option('--no-demo', 'do not start the simulated ws-manager when no cluster is configured')
    .option('--demo-workspaces <n>', 'live workspaces of the demo workload', int)
    .option('--demo-rate <n>', 'status updates per second of the demo workload', int)
    .option('--progress', 'print a progress line every 2 s on stderr')
    .option(
      '--stop-instances-after-disconnect <duration>',
      "mark a cluster's instances stopped once its ws-manager was unreachable this long, e.g. 30m (env STOP_INSTANCES_AFTER_DISCONNECT; default never)",
    )
    .option(
      '--stopped-prebuild-statuses',
      'decide prebuild outcomes at STOPPED instead of STOPPING (env STOPPED_PREBUILD_STATUSES)',
    )
    .action((opts: Record<string, unknown>) => run(() => serveCommand(toConfigFlags(opts))));

  databaseOptions(program.command('migrate').description('apply database migrations and exit')).action(
    (opts: Record<string, unknown>) => run(() => migrateCommand(toConfigFlags(opts))),
  );

  program
    .command('simulate')
    .description('run a simulated ws-manager (real wsman protocol) for tests and demos')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--port <n>', 'listen port (0 picks one)', int, 0)
    .option('--workspaces <n>', 'live workspaces to drive through lifecycles', int, 0)
    .option('--rate <n>', 'status updates per second (0: as fast as possible)', int, 10)
    .option('--updates <n>', 'stop the load after this many updates', int)
    .option('--stamp-emit-time', 'annotate each status with its emit time (benchmarks)')
    .option('--prebuild-every <n>', 'make every nth workspace of the load a prebuild (0: none)', int)
    .option('--wait-subscribers <n>', 'start the load once this many Subscribe streams are open', int)
    .option('--tls-cert <path>', 'serve TLS with this certificate (PEM)')
    .option('--tls-key <path>', 'key of --tls-cert (PEM)')
    .option('--tls-client-ca <path>', 'require client certificates signed by this CA (mTLS)')
    .option('--log-level <level>', 'trace, debug, info, warn, error, fatal or silent (env LOG_LEVEL)')
    .action((opts: SimulateFlags) => run(() => simulateCommand(opts)));

  registerClustersCommands(program, run);
  oneLineParserErrors(program);
  return program;
}

function toConfigFlags(opts: Record<string, unknown>): ConfigFlags {
  const str = (k: string): string | undefined => (typeof opts[k] === 'string' ? opts[k] : undefined);
  const bool = (k: string): boolean | undefined => (typeof opts[k] === 'boolean' ? opts[k] : undefined);
  const num = (k: string): number | undefined => (typeof opts[k] === 'number' ? opts[k] : undefined);
  return {
    configPath: str('config'),
    databaseUrl: str('databaseUrl'),
    redisUrl: str('redisUrl'),
    clusters: Array.isArray(opts.cluster) ? (opts.cluster as string[]) : undefined,
    adoptUnknown: bool('adoptUnknown'),
    allowPlaintextClusters: bool('allowPlaintextClusters'),
    httpAddr: str('httpAddr'),
    healthAddr: str('healthAddr'),
    debugAddr: str('debugAddr'),
    clusterServiceAddr: str('clusterServiceAddr'),
    clusterServiceTlsCert: str('clusterServiceTlsCert'),
    clusterServiceTlsKey: str('clusterServiceTlsKey'),
    clusterServiceTlsClientCa: str('clusterServiceTlsClientCa'),
    insecureClusterService: bool('insecureClusterService'),
    logLevel: str('logLevel'),
    logFormat: str('logFormat'),
    demo: opts.demo === false ? false : undefined,
    demoWorkspaces: num('demoWorkspaces'),
    demoRate: num('demoRate'),
    progress: bool('progress'),
    stopInstancesAfterDisconnect: str('stopInstancesAfterDisconnect'),
    stoppedPrebuildStatuses: bool('stoppedPrebuildStatuses'),
  };
}
