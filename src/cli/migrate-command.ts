/** `ws-manager-bridge migrate`: applies database migrations and exits. */
import { loadConfig, type ConfigFlags } from '../config/load-config.js';
import { createLogger } from '../observability/logger.js';
import { openStore } from '../store/open-store.js';

/** Migrates the configured database; resolves with the exit code. */
export async function migrateCommand(flags: ConfigFlags): Promise<number> {
  const config = loadConfig(flags);
  const logger = createLogger({ level: config.logLevel, pretty: config.logFormat === 'pretty' });
  const store = await openStore(config.databaseUrl, { logger });
  try {
    await store.migrate();
    logger.info('migrations applied');
    return 0;
  } finally {
    await store.close();
  }
}
