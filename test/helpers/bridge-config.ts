/** Bridge configuration for tests: ephemeral loopback ports (all four listeners), no demo, plain-text simulated clusters. */
import type { BridgeConfig } from '../../src/config/config.js';
import { loadConfig, type ConfigFlags } from '../../src/config/load-config.js';

/**
 * A config for a bridge on `databaseUrl` streaming from the given simulator ports (cluster names
 * `sim`, `sim2`, ...). Every listener binds 127.0.0.1:0, so tests running in parallel never collide.
 */
export function testBridgeConfig(
  databaseUrl: string,
  simulatorPorts: readonly number[] = [],
  flags: ConfigFlags = {},
  env: Record<string, string> = {},
): Readonly<BridgeConfig> {
  return loadConfig(
    {
      databaseUrl,
      clusters: simulatorPorts.map((port, i) => `sim${i === 0 ? '' : i + 1}=127.0.0.1:${port}`),
      allowPlaintextClusters: true,
      adoptUnknown: true,
      demo: false,
      httpAddr: '127.0.0.1:0',
      healthAddr: '127.0.0.1:0',
      debugAddr: '127.0.0.1:0',
      clusterServiceAddr: '127.0.0.1:0',
      ...flags,
    },
    env,
  );
}
