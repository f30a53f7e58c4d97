/**
 * Property: whatever the stream does to the statuses of a few instances (reorders them, repeats
 * them, mixes in malformed entries, drops and resyncs), the engine ends with the rows that applying
 * every valid status ws-manager emitted, once each and in version order, gives.
 *
 * The histories are ws-manager's: versions increase with gaps, phases only move forward, and what
 * ws-manager sets once (node, deployed, a failure, first activity) stays set. A drop loses the
 * statuses emitted while the stream is down and resyncs with GetWorkspaces, as the subscriber does.
 *
 * One field is exempt from equality: `startedTime` is when the bridge saw RUNNING, so a RUNNING
 * that arrived after a newer status (stale) or was lost in a drop leaves it unset. It must then be
 * unset, or as the version-order application sets it, and it is set while the instance runs.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WorkspaceConditionBool,
  WorkspacePhase,
  WorkspaceStatus,
  type DeepPartial,
} from '../../src/generated/wsman/core.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/ports.js';
import type { InstanceRecord } from '../../src/store/types.js';
import type { ValidStatus } from '../../src/sync/reduction.js';
import { reduceStatus } from '../../src/sync/status-reducer.js';
import { SyncEngine } from '../../src/sync/sync-engine.js';
import { validateStatus } from '../../src/sync/validate-status.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../helpers/databases.js';
import { seedInstances } from '../helpers/seed.js';
import { wireStatus } from '../helpers/statuses.js';

/** Every observation happens at this time, so timestamps do not depend on how fast the test runs. */
const NOW = new Date('2026-03-04T05:06:07.000Z');
const CLUSTER = 'eu-1';
const INT64_MAX = 2n ** 63n - 1n;

const FORWARD_PHASES = [
  WorkspacePhase.PENDING,
  WorkspacePhase.CREATING,
  WorkspacePhase.INITIALIZING,
  WorkspacePhase.RUNNING,
  WorkspacePhase.STOPPING,
  WorkspacePhase.STOPPED,
] as const;

/** One step of an instance's history, before it is turned into a status. */
interface Step {
  versionGap: bigint;
  phaseStep: number;
  ports: number[];
  setNode: boolean;
  setDeployed: boolean;
  setFailed: boolean;
  setActivity: boolean;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  versionGap: fc.oneof(fc.bigInt(1n, 5n), fc.bigInt(1n, 1_000_000n), fc.constant(2n ** 40n)),
  phaseStep: fc.constantFrom(0, 0, 1, 1, 2),
  ports: fc.array(fc.integer({ min: 1, max: 65_535 }), { maxLength: 3 }),
  setNode: fc.boolean(),
  setDeployed: fc.boolean(),
  setFailed: fc.constantFrom(false, false, false, true),
  setActivity: fc.boolean(),
});

/** What happens to one emitted status on its way to the engine. */
type Fate = 'deliver' | 'duplicate' | 'swap' | 'malformed';

interface Scenario {
  histories: Step[][];
  /** Emission order: an instance index per emitted status (each instance in its own order). */
  interleave: number[];
  fates: Fate[];
  /** Drops: at emitted index `at`, the next `lost` statuses are lost, then a resync. */
  drops: { at: number; lost: number }[];
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .array(fc.array(stepArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 })
  .chain((histories) => {
    const total = histories.reduce((n, h) => n + h.length, 0);
    const slots = histories.flatMap((h, i) => h.map(() => i));
    return fc.record({
      histories: fc.constant(histories),
      interleave: fc.shuffledSubarray(slots, { minLength: slots.length, maxLength: slots.length }),
      fates: fc.array(
        fc.constantFrom<Fate>('deliver', 'deliver', 'deliver', 'duplicate', 'swap', 'malformed'),
        {
          minLength: total,
          maxLength: total,
        },
      ),
      drops: fc.array(fc.record({ at: fc.nat(total), lost: fc.nat(4) }), { maxLength: 2 }),
    });
  });

/** The statuses of one instance's history, oldest first. */
function historyStatuses(id: string, steps: readonly Step[]): WorkspaceStatus[] {
  let version = 0n;
  let phase = 0;
  let node = false;
  let deployed = false;
  let failed = false;
  let activity = false;
  return steps.map((step) => {
    version = version + step.versionGap > INT64_MAX ? version + 1n : version + step.versionGap;
    phase = Math.min(phase + step.phaseStep, FORWARD_PHASES.length - 1);
    node ||= step.setNode;
    deployed ||= step.setDeployed;
    failed ||= step.setFailed;
    activity ||= step.setActivity;
    const overrides: DeepPartial<WorkspaceStatus> = {
      id,
      statusVersion: version,
      metadata: { owner: `owner-${id}`, metaId: `ws-${id}`, annotations: {} },
      spec: {
        url: `https://${id}.ws.example.test`,
        exposedPorts: step.ports.map((port) => ({ port, url: `https://${port}-${id}.ws.example.test` })),
      },
      phase: FORWARD_PHASES[phase],
      // Content differs between versions, as ws-manager bumps the version for a change.
      message: `${id} at ${version}`,
      conditions: {
        deployed: deployed ? WorkspaceConditionBool.TRUE : WorkspaceConditionBool.FALSE,
        failed: failed ? 'image pull failed' : '',
        firstUserActivity: activity ? new Date('2026-03-04T05:00:00.000Z') : undefined,
      },
      runtime: node ? { nodeName: 'node-a', podName: `pod-${id}`, nodeIp: '10.0.0.7' } : undefined,
      auth: { ownerToken: `token-${id}` },
    };
    return wireStatus(overrides);
  });
}

/** A malformed copy of a status: one of the shapes validation refuses. */
function malformed(status: WorkspaceStatus, which: number): WorkspaceStatus {
  const broken = WorkspaceStatus.fromPartial(status);
  switch (which % 5) {
    case 0:
      return { ...broken, spec: undefined };
    case 1:
      return { ...broken, phase: 99 as WorkspacePhase };
    case 2:
      return { ...broken, statusVersion: INT64_MAX + 7n };
    case 3:
      return { ...broken, auth: undefined };
    default:
      return { ...broken, id: '' };
  }
}

/** What reaches the engine: stream statuses and resync snapshots, in order. */
type Delivery =
  { kind: 'status'; status: WorkspaceStatus } | { kind: 'snapshot'; statuses: WorkspaceStatus[] };

function deliveries(scenario: Scenario, histories: readonly WorkspaceStatus[][]): Delivery[] {
  // Each instance's statuses in its own order, interleaved with the others'.
  const queues = histories.map((h) => [...h]);
  const emitted = scenario.interleave.map((i) => queues[i]?.shift() as WorkspaceStatus);
  const latest = new Map<string, WorkspaceStatus>();
  const out: Delivery[] = [];
  let lostUntil = -1;
  for (const [index, status] of emitted.entries()) {
    latest.set(status.id, status);
    const drop = scenario.drops.find((d) => d.at === index);
    if (drop) lostUntil = index + drop.lost;
    if (index <= lostUntil) {
      // Lost with the stream; the resync after the last lost one lists what ws-manager knows then.
      if (index === lostUntil || index === emitted.length - 1) {
        out.push({ kind: 'snapshot', statuses: [...latest.values()] });
      }
      continue;
    }
    const fate = scenario.fates[index] ?? 'deliver';
    if (fate === 'malformed') out.push({ kind: 'status', status: malformed(status, index) });
    out.push({ kind: 'status', status });
    if (fate === 'duplicate') out.push({ kind: 'status', status });
    if (fate === 'swap' && out.length >= 2) {
      const last = out.pop() as Delivery;
      out.splice(out.length - 1, 0, last);
    }
  }
  return out;
}

/** Every valid status ws-manager emitted, in version order. */
function validInVersionOrder(histories: readonly WorkspaceStatus[][]): ValidStatus[] {
  return histories
    .flat()
    .flatMap((status) => {
      const checked = validateStatus(status);
      return checked.ok ? [checked.status] : [];
    })
    .sort((a, b) => (a.statusVersion < b.statusVersion ? -1 : a.statusVersion > b.statusVersion ? 1 : 0));
}

function expectSameRow(actual: InstanceRecord | undefined, expected: InstanceRecord): void {
  expect(actual).toBeDefined();
  if (!actual) return;
  const { startedTime, ...rest } = actual.row;
  const { startedTime: expectedStarted, ...expectedRest } = expected.row;
  expect(rest).toEqual(expectedRest);
  expect(actual.metrics).toEqual(expected.metrics);
  expect([null, expectedStarted]).toContain(startedTime);
  if (actual.row.phase === 'running') expect(startedTime).not.toBeNull();
}

const RUNS: Record<string, number> = { sqlite: 150, postgres: 40 };

for (const kind of DATABASES) {
  describe(`status sequences: ${kind}`, () => {
    let db: TestDatabase;
    let store: Store;
    let engine: SyncEngine;
    let round = 0;

    beforeAll(async () => {
      db = await createTestDatabase(kind);
      store = await openStore(db.url, { logger: silentLogger() });
      await store.migrate();
      engine = new SyncEngine({
        store,
        notify: () => undefined,
        validate: validateStatus,
        reduce: reduceStatus,
        logger: silentLogger(),
        metrics: createMetrics({ defaultMetrics: false }),
        backoff: { initialMs: 5, maxMs: 50, factor: 2 },
        now: () => NOW,
      });
      await engine.start();
    });

    afterAll(async () => {
      await engine.stop();
      await store.close();
      await db.drop();
    });

    it('end with the rows of the valid statuses applied in version order', async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb, async (scenario) => {
          round += 1;
          const ids = scenario.histories.map((_, i) => `r${round}-i${i}`);
          await seedInstances(store, ids, { cluster: CLUSTER });
          const initial = await store.loadInstances(ids);
          const histories = scenario.histories.map((steps, i) => historyStatuses(ids[i] as string, steps));
          const delivered = deliveries(scenario, histories);

          for (const d of delivered) {
            if (d.kind === 'status') engine.status(CLUSTER, d.status);
            else engine.snapshot(CLUSTER, d.statuses);
          }
          await engine.whenIdle();

          const expected = new Map(initial);
          for (const status of validInVersionOrder(histories)) {
            const current = expected.get(status.id) as InstanceRecord;
            const reduction = reduceStatus(current, status, NOW.toISOString());
            if (reduction.kind === 'apply') {
              expected.set(status.id, {
                ...current,
                row: reduction.row,
                metrics: reduction.metrics ?? current.metrics,
              });
            }
          }
          const stored = await store.loadInstances(ids);
          for (const id of ids) expectSameRow(stored.get(id), expected.get(id) as InstanceRecord);
        }),
        { numRuns: RUNS[kind] ?? 40 },
      );
    }, 120_000);
  });
}
