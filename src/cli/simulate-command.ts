/** `ws-manager-bridge simulate`: a simulated ws-manager speaking the real protocol. */
import { readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';
import { flagOrEnv, parseSetting } from '../config/config-error.js';
import { errorMessage } from '../lifecycle/abort.js';
import { routeGrpcLogs } from '../observability/grpc-log.js';
import { createLogger, parseLogLevel } from '../observability/logger.js';
import { SimulatedWsManager } from '../wsman/simulator/index.js';
import { CliError, EXIT } from './exit-codes.js';
import { plainListenError } from './listen-errors.js';
import { onShutdownSignal } from './shutdown.js';

/** The `simulate` command's options as the parser hands them over. */
export interface SimulateFlags {
  host: string;
  port: number;
  workspaces: number;
  rate: number;
  updates?: number;
  stampEmitTime?: boolean;
  prebuildEvery?: number;
  waitSubscribers?: number;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  logLevel?: string;
}

function readFlagFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CliError(`cannot read ${flag} ${path} (${code})`, EXIT.usage);
  }
}

function serverCredentials(flags: SimulateFlags): ServerCredentials {
  if (!flags.tlsCert && !flags.tlsKey) {
    if (flags.tlsClientCa) throw new CliError('--tls-client-ca needs --tls-cert and --tls-key', EXIT.usage);
    return ServerCredentials.createInsecure();
  }
  if (!flags.tlsCert || !flags.tlsKey) throw new CliError('--tls-cert and --tls-key go together', EXIT.usage);
  const ca = flags.tlsClientCa ? readFlagFile('--tls-client-ca', flags.tlsClientCa) : null;
  const pair = {
    cert_chain: readFlagFile('--tls-cert', flags.tlsCert),
    private_key: readFlagFile('--tls-key', flags.tlsKey),
  };
  return ServerCredentials.createSsl(ca, [pair], Boolean(ca));
}

/** Resolves once `count` Subscribe streams are open (benchmarks start the load when the bridge listens). */
function waitForSubscribers(
  simulator: SimulatedWsManager,
  count: number,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (simulator.subscriberCount >= count || signal.aborted) {
        simulator.hooks.onSubscribe = undefined;
        resolve();
      }
    };
    simulator.hooks.onSubscribe = () => setImmediate(check);
    signal.addEventListener('abort', check, { once: true });
    check();
  });
}

/**
 * Serves until a signal. With --workspaces > 0 it drives that many workspaces through lifecycles at
 * --rate updates/s (0: as fast as possible), for --updates in total when given; with
 * --prebuild-every N every Nth of them is a prebuild that stops by itself. Prints one JSON line
 * `{"event":"listening","port":N}` on stdout once it accepts connections, and a summary when done.
 */
export async function simulateCommand(flags: SimulateFlags): Promise<number> {
  const levelSetting = flagOrEnv(flags.logLevel, '--log-level', process.env, 'LOG_LEVEL');
  const level = levelSetting ? parseSetting(levelSetting, parseLogLevel) : 'info';
  const credentials = serverCredentials(flags);
  const logger = createLogger({ level, destination: process.stderr });
  routeGrpcLogs(logger);
  const simulator = new SimulatedWsManager({ logger });
  const port = await simulator.listen(flags.port, flags.host, credentials).catch((error: unknown) => {
    const reason = plainListenError(errorMessage(error));
    throw new CliError(`cannot serve the simulated ws-manager on ${flags.host}:${flags.port}: ${reason}`);
  });
  process.stdout.write(`${JSON.stringify({ event: 'listening', host: flags.host, port })}\n`);
  const abort = new AbortController();
  const exit = onShutdownSignal({
    logger,
    stop: async () => {
      abort.abort();
      await simulator.close();
      return true;
    },
  });
  if (flags.workspaces > 0) {
    await waitForSubscribers(simulator, flags.waitSubscribers ?? 0, abort.signal);
    const result = await simulator.runLoad({
      workspaces: flags.workspaces,
      updatesPerSecond: flags.rate,
      totalUpdates: flags.updates,
      stampEmitTime: flags.stampEmitTime,
      prebuildEvery: flags.prebuildEvery,
      signal: abort.signal,
    });
    process.stdout.write(`${JSON.stringify({ event: 'load-finished', ...result })}\n`);
  }
  return exit;
}
