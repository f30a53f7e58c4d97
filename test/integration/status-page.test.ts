/**
 * The status page in a real browser: Debian's headless Chromium (installed by scripts/chromium.sh),
 * driven by puppeteer-core, against a running bridge whose state is known: a streaming cluster with
 * workspaces in three phases, a cluster whose ws-manager is down, instances of a third cluster in the
 * database, notifications held back by an unreachable Redis, and a warning that carries a secret.
 * Leaves a screenshot at .test-results/status-page.png.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBridge, type Bridge } from '../../src/bridge.js';
import { StartWorkspaceRequest } from '../../src/generated/wsman/core.js';
import { createLogger } from '../../src/observability/logger.js';
import { RecentLog } from '../../src/observability/recent-log.js';
import { INSTANCE_PHASES } from '../../src/store/types.js';
import { SimulatedWsManager } from '../../src/wsman/simulator/index.js';
import { testBridgeConfig } from '../helpers/bridge-config.js';
import { createTestDatabase } from '../helpers/databases.js';
import { seedInstances } from '../helpers/seed.js';
import { unusedPort } from '../helpers/tcp-proxy.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCREENSHOT = join(ROOT, '.test-results', 'status-page.png');
const SECRET = 'hunter2-status-page';

/** The flags the page is opened with: headless, no sandbox (root in CI), nothing phoning home. */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** What the page shows, read from its DOM. */
interface Shown {
  clusters: Record<string, { stream: string; phases: Record<string, number> }>;
  pending: string;
  updatesNow: string;
  chartPoints: number;
  warnings: string[];
}

/** The few DOM members the page is read with (the project compiles without the DOM library). */
interface PageElement {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}
interface PageDocument {
  body: PageElement;
  getElementById(id: string): PageElement | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}

function readPage(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    // Runs in the page, where `document` exists.
    const doc = (globalThis as unknown as { document: PageDocument }).document;
    const clusters: Shown['clusters'] = {};
    for (const row of doc.querySelectorAll('#clusters tbody tr[data-cluster]')) {
      const phases: Record<string, number> = {};
      for (const p of row.querySelectorAll('[data-phase]')) {
        phases[p.dataset.phase ?? ''] = Number(p.dataset.count);
      }
      clusters[row.dataset.cluster ?? ''] = {
        stream: row.querySelector('[data-field="stream"]')?.textContent ?? '',
        phases,
      };
    }
    const line = doc.querySelector('#chart-updates polyline');
    return {
      clusters,
      pending: doc.getElementById('pending')?.textContent ?? '',
      updatesNow: doc.getElementById('updates-now')?.textContent ?? '',
      chartPoints: (line?.getAttribute('points') ?? '').split(' ').filter(Boolean).length,
      warnings: [...doc.querySelectorAll('#warnings li')].map((li) => li.textContent ?? ''),
    };
  });
}

/** Active instances per cluster and phase, as the database holds them now. */
async function phasesInDatabase(bridge: Bridge): Promise<Record<string, Record<string, number>>> {
  const active = INSTANCE_PHASES.filter((p) => p !== 'stopped');
  const out: Record<string, Record<string, number>> = {};
  for (const { row } of await bridge.store.listInstances({ phases: active })) {
    const counts = (out[row.clusterName] ??= {});
    counts[row.phase] = (counts[row.phase] ?? 0) + 1;
  }
  return out;
}

describe('status page in headless Chromium', () => {
  let chromium = '';
  const cleanups: (() => Promise<unknown> | void)[] = [];

  beforeAll(() => {
    // Installs Debian's chromium the first time on a fresh machine (root or sudo), as services.sh does.
    chromium = execFileSync(join(ROOT, 'scripts/chromium.sh'), { encoding: 'utf8' }).trim();
  }, 600_000);

  afterAll(async () => {
    while (cleanups.length) await cleanups.pop()?.();
  });

  it("shows the bridge's clusters, phases, pending notifications, rates and redacted warnings, offline", async () => {
    const sim = new SimulatedWsManager({ manual: true });
    const simPort = await sim.listen(0, '127.0.0.1');
    cleanups.push(() => sim.close());
    const db = await createTestDatabase('sqlite');
    cleanups.push(() => db.drop());
    const recent = new RecentLog();
    const logger = createLogger({
      level: 'info',
      recent,
      destination: new Writable({ write: (_chunk, _encoding, done) => done() }),
    });
    // "sim" streams; "sim2" points at a port where nothing listens; Redis is unreachable, so every
    // committed change stays pending in the outbox.
    const config = testBridgeConfig(db.url, [simPort, await unusedPort()], {
      redisUrl: `redis://127.0.0.1:${await unusedPort()}`,
    });
    const bridge = await createBridge(config, { logger, recentLog: recent });
    cleanups.push(() => bridge.stop());
    await bridge.start();
    await seedInstances(
      bridge.store,
      [
        { id: 'eu-a', phase: 'running' },
        { id: 'eu-b', phase: 'stopping' },
      ],
      {
        cluster: 'eu-elsewhere',
      },
    );

    const start = (id: string, steps: number): void => {
      sim.startWorkspace(
        StartWorkspaceRequest.fromPartial({
          id,
          metadata: { owner: `u-${id}`, metaId: `w-${id}` },
          spec: {},
        }),
      );
      for (let i = 0; i < steps; i += 1) sim.advance(id);
    };
    start('i-running-1', 3);
    start('i-running-2', 3);
    start('i-creating', 1);
    start('i-pending', 0);
    await vi.waitFor(async () =>
      expect((await phasesInDatabase(bridge)).sim).toEqual({ running: 2, creating: 1, pending: 1 }),
    );
    await vi.waitFor(() => expect(bridge.supervisor.states().get('sim2')).toBe('backoff'));
    logger.warn({ password: SECRET, cluster: 'sim' }, 'probe warning with a secret');

    const profile = mkdtempSync(join(tmpdir(), 'wsb-chromium-'));
    cleanups.push(() => rmSync(profile, { recursive: true, force: true }));
    const browser: Browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`],
    });
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 900 });
    const origin = `http://127.0.0.1:${bridge.httpPort}`;
    const requests: string[] = [];
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      requests.push(request.url());
      // Nothing but the bridge may be asked for: the page has to work without a network.
      if (request.url().startsWith(`${origin}/`)) void request.continue();
      else void request.abort();
    });

    await page.goto(`${origin}/`, { waitUntil: 'load' });
    await page.waitForFunction(
      () => (globalThis as unknown as { document: PageDocument }).document.body.dataset.loaded !== undefined,
    );

    let shown: Shown | undefined;
    await vi.waitFor(
      async () => {
        shown = await readPage(page);
        const inDatabase = await phasesInDatabase(bridge);
        expect(Object.keys(shown.clusters).sort()).toEqual(['eu-elsewhere', 'sim', 'sim2']);
        for (const name of ['sim', 'eu-elsewhere']) {
          expect(shown.clusters[name]?.phases).toEqual(inDatabase[name]);
        }
        expect(shown.clusters.sim?.stream).toBe(bridge.supervisor.states().get('sim'));
        expect(shown.clusters.sim2?.stream).toBe(bridge.supervisor.states().get('sim2'));
        expect(shown.clusters['eu-elsewhere']?.stream).toBe('not here');
        expect(bridge.notifier.pending).toBeGreaterThan(0);
        expect(shown.pending).toBe(String(bridge.notifier.pending));
      },
      { timeout: 15_000, interval: 250 },
    );
    expect(shown?.clusters.sim?.phases).toEqual({ running: 2, creating: 1, pending: 1 });
    expect(shown?.clusters['eu-elsewhere']?.phases).toEqual({ running: 1, stopping: 1 });
    expect(shown?.clusters.sim?.stream).toBe('streaming');
    expect(shown?.clusters.sim2?.stream).toBe('backoff');
    expect(Number(shown?.updatesNow)).toBeGreaterThan(0);
    expect(shown?.chartPoints).toBeGreaterThanOrEqual(1);
    const probe = shown?.warnings.find((w) => w.includes('probe warning with a secret'));
    expect(probe).toContain('[redacted]');
    expect(shown?.warnings.join('\n')).not.toContain(SECRET);
    expect(await page.content()).not.toContain(SECRET);
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(requests.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);

    mkdirSync(join(ROOT, '.test-results'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  }, 60_000);
});
