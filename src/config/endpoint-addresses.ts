/**
 * Addresses of the two operator endpoints beside the metrics address: health and readiness for a
 * kubelet (the original's `:9090` on all interfaces), and the loopback debug endpoint that changes the
 * log level (the original's `localhost:6060`). Either can be switched off with the value `off`.
 */
import { isLoopbackHost } from '../cluster-api/listen-security.js';
import { ConfigError, flagOrEnv, parseSetting, type Sourced } from './config-error.js';
import { parseHostPort } from './duration.js';

/** A host and port to listen on. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Health and readiness. @default 0.0.0.0:9090, as the original */
export const DEFAULT_HEALTH_ADDRESS: Readonly<ListenAddress> = { host: '0.0.0.0', port: 9090 };
/** The debug endpoint. @default 127.0.0.1:6060, as the original */
export const DEFAULT_DEBUG_ADDRESS: Readonly<ListenAddress> = { host: '127.0.0.1', port: 6060 };

type Env = Readonly<Record<string, string | undefined>>;

/** `off` switches the endpoint off; anything else is `host:port`. Unset gives the default. */
function addressOrOff(
  setting: Sourced<string> | undefined,
  fallback: Readonly<ListenAddress>,
): ListenAddress | undefined {
  if (!setting) return { ...fallback };
  if (setting.value.trim().toLowerCase() === 'off') return undefined;
  return parseSetting(setting, parseHostPort);
}

/** `--health-addr` / `BRIDGE_HEALTH_ADDR`. Throws ConfigError naming the setting. */
export function healthAddress(flagValue: string | undefined, env: Env): ListenAddress | undefined {
  return addressOrOff(
    flagOrEnv(flagValue, '--health-addr', env, 'BRIDGE_HEALTH_ADDR'),
    DEFAULT_HEALTH_ADDRESS,
  );
}

/**
 * `--debug-addr` / `BRIDGE_DEBUG_ADDR`. Only loopback is accepted: the endpoint has no
 * authentication, and `kubectl port-forward` reaches a pod's loopback anyway. Throws ConfigError.
 */
export function debugAddress(flagValue: string | undefined, env: Env): ListenAddress | undefined {
  const setting = flagOrEnv(flagValue, '--debug-addr', env, 'BRIDGE_DEBUG_ADDR');
  const address = addressOrOff(setting, DEFAULT_DEBUG_ADDRESS);
  if (setting && address && !isLoopbackHost(address.host)) {
    throw new ConfigError(
      setting.source,
      `the debug endpoint has no authentication and listens on loopback only; use 127.0.0.1:PORT or off, not ${address.host}`,
    );
  }
  return address;
}
