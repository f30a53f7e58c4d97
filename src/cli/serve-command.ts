/** `ws-manager-bridge serve`: runs the bridge until SIGINT/SIGTERM. */
import { createBridge } from '../bridge.js';
import { loadConfig, type ConfigFlags } from '../config/load-config.js';
import { createLogger } from '../observability/logger.js';
import { startProgress } from './progress.js';
import { onShutdownSignal } from './shutdown.js';

/** Runs the service; resolves with the process exit code. */
export async function serveCommand(flags: ConfigFlags): Promise<number> {
  const config = loadConfig(flags);
  const logger = createLogger({ level: config.logLevel, pretty: config.logFormat === 'pretty' });
  const bridge = await createBridge(config, { logger });
  const exit = onShutdownSignal({ logger, stop: () => bridge.stop() });
  try {
    await bridge.start();
  } catch (error: unknown) {
    await bridge.stop();
    throw error;
  }
  const stopProgress = config.progress
    ? startProgress(bridge, (line) => process.stderr.write(`${line}\n`))
    : undefined;
  const code = await exit;
  await stopProgress?.();
  return code;
}
