/** `ws-manager-bridge serve`: runs the bridge until SIGINT/SIGTERM. */
import { createBridge } from '../bridge.js';
import { loadConfig, type ConfigFlags } from '../config/load-config.js';
import { routeGrpcLogs } from '../observability/grpc-log.js';
import { createLogger } from '../observability/logger.js';
import { RecentLog } from '../observability/recent-log.js';
import { plainListenError } from './listen-errors.js';
import { startProgress } from './progress.js';
import { onShutdownSignal } from './shutdown.js';

/** A start failure whose message ends in a bind error, reworded (a port in use); others unchanged. */
function plainStartError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const message = plainListenError(error.message);
  return message === error.message ? error : new Error(message, { cause: error });
}

/** Runs the service; resolves with the process exit code. Throws ConfigError for invalid settings. */
export async function serveCommand(flags: ConfigFlags): Promise<number> {
  const config = loadConfig(flags, process.env, { connectsToClusters: true });
  const recentLog = new RecentLog();
  const logger = createLogger({
    level: config.logLevel,
    pretty: config.logFormat === 'pretty',
    recent: recentLog,
  });
  routeGrpcLogs(logger);
  const bridge = await createBridge(config, { logger, recentLog });
  const exit = onShutdownSignal({ logger, stop: () => bridge.stop() });
  try {
    await bridge.start();
  } catch (error: unknown) {
    await bridge.stop();
    throw plainStartError(error);
  }
  const stopProgress = config.progress
    ? startProgress(bridge, (line) => process.stderr.write(`${line}\n`))
    : undefined;
  const code = await exit;
  await stopProgress?.();
  return code;
}
