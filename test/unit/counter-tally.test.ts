/** CounterTally: counts kept in plain numbers reach the prom-client counter when it is collected. */
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CounterTally } from '../../src/observability/counter-tally.js';

function tallied() {
  const registry = new Registry();
  const tally = new CounterTally('cluster', 'kind');
  const counter = new Counter({
    name: 'test_tallied_total',
    help: 'test',
    labelNames: ['cluster', 'kind'] as const,
    registers: [registry],
    collect() {
      tally.flushInto(this);
    },
  });
  const values = async () =>
    Object.fromEntries(
      (await counter.get()).values.map((v) => [
        `${String(v.labels.cluster)}/${String(v.labels.kind)}`,
        v.value,
      ]),
    );
  return { registry, tally, counter, values };
}

describe('CounterTally', () => {
  it('hands each label pair its count when the counter is collected, once', async () => {
    const { tally, values } = tallied();
    tally.add('a', 'stream');
    tally.add('a', 'stream');
    tally.add('a', 'snapshot', 5);
    tally.add('b', 'stream');
    expect(await values()).toEqual({ 'a/stream': 2, 'a/snapshot': 5, 'b/stream': 1 });
    // Collected again with nothing new: the same totals, nothing counted twice.
    expect(await values()).toEqual({ 'a/stream': 2, 'a/snapshot': 5, 'b/stream': 1 });
    tally.add('b', 'stream', 3);
    expect(await values()).toEqual({ 'a/stream': 2, 'a/snapshot': 5, 'b/stream': 4 });
  });

  it('adds to what was counted on the counter directly, and shows in the scrape text', async () => {
    const { registry, tally, counter } = tallied();
    counter.inc({ cluster: 'a', kind: 'stream' }, 10);
    tally.add('a', 'stream');
    const text = await registry.metrics();
    expect(text).toContain('test_tallied_total{cluster="a",kind="stream"} 11');
  });
});
