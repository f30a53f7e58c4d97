/**
 * Throwaway certificates for TLS tests, made with the machine's `openssl` at test time so that no
 * private key is ever committed. EC P-256 keys keep generation fast.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerCredentials } from '@grpc/grpc-js';
import type { ClusterTls } from '../../src/store/types.js';

/** A PEM certificate and its PEM private key. */
export interface CertPair {
  cert: string;
  key: string;
}

/** A CA with a server certificate (ws-manager, localhost, 127.0.0.1) and a client certificate. */
export interface TestPki {
  ca: CertPair;
  server: CertPair;
  client: CertPair;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function issue(dir: string, name: string, caName: string, extensions: string): CertPair {
  openssl(dir, ['req', ...KEY_ARGS, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${caName}.crt`,
    '-CAkey',
    `${caName}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  ]);
  return {
    cert: readFileSync(join(dir, `${name}.crt`), 'utf8'),
    key: readFileSync(join(dir, `${name}.key`), 'utf8'),
  };
}

/** Generates a fresh CA, server and client certificate in a temporary folder and removes the folder. */
export function createTestPki(caName = 'test-ca'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'wsb-pki-'));
  try {
    openssl(dir, [
      'req',
      '-x509',
      ...KEY_ARGS,
      '-keyout',
      `${caName}.key`,
      '-out',
      `${caName}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=${caName}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const ca = {
      cert: readFileSync(join(dir, `${caName}.crt`), 'utf8'),
      key: readFileSync(join(dir, `${caName}.key`), 'utf8'),
    };
    const server = issue(
      dir,
      'ws-manager',
      caName,
      'subjectAltName=DNS:ws-manager,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
    );
    const client = issue(dir, 'client', caName, 'extendedKeyUsage=clientAuth\n');
    return { ca, server, client };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Base64 of a PEM text, as the ClusterService carries TLS material. */
export function b64(pem: string): string {
  return Buffer.from(pem, 'utf8').toString('base64');
}

/** The ClusterService TLS config a bridge would use to reach a ws-manager of this PKI. */
export function clusterTlsOf(pki: TestPki): ClusterTls {
  return { ca: b64(pki.ca.cert), crt: b64(pki.client.cert), key: b64(pki.client.key) };
}

/** Server credentials of a ws-manager of this PKI: its server certificate, client certificates required. */
export function serverCredentialsOf(pki: TestPki): ServerCredentials {
  return ServerCredentials.createSsl(
    Buffer.from(pki.ca.cert),
    [{ cert_chain: Buffer.from(pki.server.cert), private_key: Buffer.from(pki.server.key) }],
    true,
  );
}
