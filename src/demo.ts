/**
 * The built-in demo: a simulated ws-manager on a loopback port with a small workload, used when no
 * cluster is configured (`npm start`). It listens when it is created, so the bridge knows its address
 * from the start; the workload runs between `start()` and `stop()`.
 */
import type { DemoConfig, StaticCluster } from './config/config.js';
import { plainStaticCluster } from './config/load-config.js';
import { errorMessage } from './lifecycle/abort.js';
import type { Service, ServiceState } from './lifecycle/service.js';
import type { Logger } from './observability/logger.js';
import { SimulatedWsManager } from './wsman/simulator/index.js';

/** Every fourth workspace of the demo workload is a prebuild (every third of those with a failed task). */
const DEMO_PREBUILD_EVERY = 4;

/** A running demo cluster. */
export class DemoCluster implements Service {
  readonly simulator: SimulatedWsManager;
  /** The static cluster the bridge streams from. */
  readonly cluster: StaticCluster;
  readonly #config: DemoConfig;
  readonly #logger: Logger;
  readonly #abort = new AbortController();
  #load: Promise<unknown> | undefined;
  #state: ServiceState = 'idle';

  private constructor(simulator: SimulatedWsManager, port: number, config: DemoConfig, logger: Logger) {
    this.simulator = simulator;
    this.cluster = plainStaticCluster('demo', `127.0.0.1:${port}`);
    this.#config = config;
    this.#logger = logger;
  }

  /** Creates the simulator and binds it to a free loopback port. */
  static async listen(config: DemoConfig, logger: Logger): Promise<DemoCluster> {
    const simulator = new SimulatedWsManager({ logger: logger.child({ component: 'simulator' }) });
    const port = await simulator.listen(0, '127.0.0.1');
    return new DemoCluster(simulator, port, config, logger);
  }

  get state(): ServiceState {
    return this.#state;
  }

  /** Starts the workload. */
  start(): Promise<void> {
    if (this.#state !== 'idle') return Promise.resolve();
    this.#state = 'running';
    const { workspaces, updatesPerSecond } = this.#config;
    this.#load = this.simulator
      .runLoad({
        workspaces,
        updatesPerSecond,
        prebuildEvery: DEMO_PREBUILD_EVERY,
        signal: this.#abort.signal,
      })
      .catch((error: unknown) => this.#logger.error({ error: errorMessage(error) }, 'demo workload failed'));
    this.#logger.info(
      { url: this.cluster.url, workspaces, updatesPerSecond },
      'no cluster configured: running a simulated ws-manager',
    );
    return Promise.resolve();
  }

  /** Ends the workload and closes the simulator. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopping';
    this.#abort.abort();
    await this.#load;
    await this.simulator.close();
    this.#state = 'stopped';
  }
}
