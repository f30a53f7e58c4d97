/**
 * The clusters of the `storm` scenario, in a process of their own: CLUSTERS simulated ws-managers
 * with WORKSPACES workspaces each, moved by hand. Driven over stdin, one command a line; it answers
 * on stdout with one JSON line per event:
 *
 * - on start: `{"event":"listening","ports":[…]}`;
 * - `warm`: starts every workspace and moves it to RUNNING (4 statuses each), then `{"event":"warm"}`;
 * - `storm`: ends every Subscribe stream of every cluster at once and, while nobody listens, moves
 *   every workspace one step on (RUNNING with the first user activity), then
 *   `{"event":"stormed","changed":N}`: the bridge learns those changes only from its resync.
 *
 * Environment: STORM_CLUSTERS=50  STORM_WORKSPACES=1000
 */
import { createInterface } from 'node:readline';
import { SimulatedWsManager } from '../src/wsman/simulator/index.js';
import { createTenants, syntheticRequest } from '../src/wsman/simulator/synthetic-request.js';

const CLUSTERS = Number(process.env.STORM_CLUSTERS ?? 50);
const WORKSPACES = Number(process.env.STORM_WORKSPACES ?? 1000);

const sims: SimulatedWsManager[] = [];
const ids: string[][] = [];
for (let c = 0; c < CLUSTERS; c++) {
  const sim = new SimulatedWsManager({ manual: true, retainStoppedMs: 3_600_000 });
  sims.push(sim);
  ids.push([]);
}
const ports = await Promise.all(sims.map((s) => s.listen(0, '127.0.0.1')));
const say = (event: Record<string, unknown>): boolean => process.stdout.write(`${JSON.stringify(event)}\n`);
say({ event: 'listening', ports });

function warm(): void {
  const tenants = createTenants(Math.ceil((CLUSTERS * WORKSPACES) / 4));
  let n = 0;
  sims.forEach((sim, c) => {
    for (let w = 0; w < WORKSPACES; w++) {
      const request = syntheticRequest(n++, tenants);
      sim.startWorkspace(request);
      ids[c]?.push(request.id);
      for (let step = 0; step < 3; step++) sim.advance(request.id);
    }
  });
}

function storm(): number {
  // Every stream ends first, in one go; then the changes the bridge has to find in its resync.
  for (const sim of sims) sim.dropSubscribers();
  let changed = 0;
  sims.forEach((sim, c) => {
    for (const id of ids[c] ?? []) {
      sim.advance(id);
      changed++;
    }
  });
  return changed;
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'warm') {
    warm();
    say({ event: 'warm', workspaces: CLUSTERS * WORKSPACES });
  } else if (line === 'storm') {
    say({ event: 'stormed', changed: storm() });
  } else if (line === 'close') {
    await Promise.all(sims.map((s) => s.close()));
    process.exit(0);
  }
}
