/**
 * A ws-manager whose certificate is not valid for the server name the bridge expects: the log line of
 * the lost stream says which setting changes that name.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterSubscriber } from '../../src/wsman/cluster-subscriber.js';
import { startTlsSimulator } from '../helpers/cluster-service-harness.js';
import { LogCapture } from '../helpers/log-capture.js';
import { clusterTlsOf, createTestPki } from '../helpers/test-pki.js';

const pki = createTestPki();
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function tlsSimulator(): Promise<string> {
  const simulator = await startTlsSimulator(pki);
  cleanups.push(simulator.close);
  return simulator.url;
}

function subscribe(url: string, tlsServerName: string, logs: LogCapture): ClusterSubscriber {
  const subscriber = new ClusterSubscriber({
    cluster: 'eu70',
    target: { url, tls: clusterTlsOf(pki), tlsServerName },
    sink: { snapshot: () => undefined, status: () => undefined },
    logger: logs.logger,
    backoff: { initialMs: 50, maxMs: 200, factor: 2 },
  });
  void subscriber.start();
  cleanups.push(() => subscriber.stop());
  return subscriber;
}

describe('ws-manager TLS server name', () => {
  it('names WSMAN_TLS_SERVER_NAME when the certificate is not valid for it', async () => {
    const logs = new LogCapture();
    subscribe(await tlsSimulator(), 'wsman.example.org', logs);
    const lost = await logs.waitFor('ws-manager stream lost, reconnecting');
    expect(lost.err).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
    expect(lost.hint).toBe(
      'the certificate is not valid for "wsman.example.org", the server name the bridge expects; set WSMAN_TLS_SERVER_NAME to a name it is valid for',
    );
  });

  it('connects when the certificate is valid for it', async () => {
    const logs = new LogCapture();
    subscribe(await tlsSimulator(), 'ws-manager', logs);
    await logs.waitFor('ws-manager stream established');
    expect(logs.matching('ws-manager stream lost')).toEqual([]);
  });
});
