/**
 * What a fault test checks at its end: the database says what ws-manager says, field by field, and
 * every changed instance was announced. Shared by the `faults-*` integration tests.
 */
import { expect, vi } from 'vitest';
import type { WorkspaceStatus } from '../../src/generated/wsman/core.js';
import type { Message } from '../../src/pubsub/ports.js';
import type { Store } from '../../src/store/ports.js';
import type { InstanceRecord } from '../../src/store/types.js';
import { reduceStatus } from '../../src/sync/status-reducer.js';
import { mapConditions, mapExposedPorts, mapPhase } from '../../src/sync/status-mapping.js';
import { validateStatus } from '../../src/sync/validate-status.js';

/**
 * Asserts that a stored instance equals ws-manager's latest status of it: every column the bridge
 * derives from a status, and a version that is this status's, or older with nothing to change
 * (the reducer skips the status as identical).
 */
export function expectRecordMatchesStatus(record: InstanceRecord | undefined, truth: WorkspaceStatus): void {
  const id = truth.id;
  expect(record, `${id} is stored`).toBeDefined();
  if (!record) return;
  const { row } = record;
  const checked = validateStatus(truth);
  expect(checked.ok, `${id}: ws-manager's status is valid`).toBe(true);
  if (!checked.ok) return;
  const status = checked.status;
  expect(row.phase, `${id} phase`).toBe(mapPhase(status.phase));
  expect(row.ideUrl, `${id} ide url`).toBe(status.spec.url);
  expect(row.status.ownerToken, `${id} owner token`).toBe(status.auth.ownerToken);
  expect(row.status.message, `${id} message`).toBe(status.message);
  expect(row.status.timeout, `${id} timeout`).toBe(status.spec.timeout);
  expect(row.status.exposedPorts, `${id} ports`).toEqual(mapExposedPorts(status.spec.exposedPorts));
  expect(row.status.conditions, `${id} conditions`).toEqual(
    mapConditions(status.conditions, row.status.conditions).conditions,
  );
  if (status.runtime?.nodeName) expect(row.status.nodeName, `${id} node`).toBe(status.runtime.nodeName);
  if (row.phase === 'running') expect(row.startedTime, `${id} started time`).not.toBeNull();
  expect(row.stoppedTime !== null, `${id} stopped time`).toBe(row.phase === 'stopped');
  expect(row.statusVersion, `${id} version`).toBeLessThanOrEqual(status.statusVersion);
  if (row.statusVersion < status.statusVersion) {
    const reduction = reduceStatus(record, status, row.updatedAt);
    expect(reduction.kind === 'skip' && reduction.reason, `${id}: the latest status changes nothing`).toBe(
      'identical',
    );
  }
}

/** Waits until every instance of `truth` is stored as `expectRecordMatchesStatus` wants. */
export async function expectStoreMatchesTruth(
  store: Pick<Store, 'loadInstances'>,
  truth: () => WorkspaceStatus[] | Promise<WorkspaceStatus[]>,
  timeoutMs = 20_000,
): Promise<void> {
  await vi.waitFor(
    async () => {
      const statuses = await truth();
      const records = await store.loadInstances(statuses.map((s) => s.id));
      for (const status of statuses) expectRecordMatchesStatus(records.get(status.id), status);
    },
    { timeout: timeoutMs, interval: 100 },
  );
}

/** The instance ids announced on `chan:workspace-instances` in these messages. */
export function announcedIds(messages: readonly Message[]): Set<string> {
  const ids = new Set<string>();
  for (const m of messages) {
    if (m.channel !== 'chan:workspace-instances') continue;
    const payload = JSON.parse(m.payload) as { instanceID?: unknown };
    if (typeof payload.instanceID === 'string') ids.add(payload.instanceID);
  }
  return ids;
}

/**
 * Waits until each of `ids` has been announced in `messages` (which keep growing), counting from
 * index `from` on.
 */
export async function expectAnnounced(
  messages: readonly Message[],
  ids: Iterable<string>,
  from = 0,
  timeoutMs = 20_000,
): Promise<void> {
  const wanted = [...ids];
  await vi.waitFor(
    () => {
      const announced = announcedIds(messages.slice(from));
      expect(
        wanted.filter((id) => !announced.has(id)),
        'instances not announced',
      ).toEqual([]);
    },
    { timeout: timeoutMs, interval: 50 },
  );
}
