/**
 * Static clusters from the config file's `staticBridges` and from `--cluster NAME=URL`, checked with the
 * rules `clusters register` applies, so that a typo fails the start instead of being retried forever.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { validateGrpcTarget } from '../cluster-api/grpc-target.js';
import { validateClusterName, validateRegion } from '../cluster-api/validation.js';
import type { ClusterTls } from '../store/types.js';
import { decodeTls } from '../wsman/credentials.js';
import type { StaticCluster } from './config.js';
import { ConfigError, flag, type SettingSource } from './config-error.js';
import type { StaticClusterFileEntry } from './file-schema.js';

/** A static cluster with the defaults of a `staticBridges` entry and no TLS. */
export function plainStaticCluster(name: string, url: string): StaticCluster {
  return {
    name,
    url,
    state: 'available',
    score: 50,
    maxScore: 100,
    govern: true,
    region: '',
    admissionConstraints: [],
  };
}

/** A static cluster and where it was configured. */
export interface ConfiguredCluster {
  cluster: StaticCluster;
  source: SettingSource;
}

/**
 * Runs a register-time check on one field. The checks' messages start with the field name, which the
 * source already says, so it is dropped.
 */
function check<T>(source: SettingSource, field: string, run: () => T): T {
  try {
    return run();
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError(source, message.replace(new RegExp(`^${field} `), ''));
  }
}

function fileKey(path: string, index: number, key: string): SettingSource {
  return { kind: 'file', path, key: `staticBridges[${index}]${key ? `.${key}` : ''}` };
}

function readPemAsBase64(file: string, baseDir: string, source: SettingSource): string {
  const full = isAbsolute(file) ? file : resolve(baseDir, file);
  try {
    return readFileSync(full).toString('base64');
  } catch (error: unknown) {
    throw new ConfigError(
      source,
      `cannot read ${full} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/**
 * One `staticBridges` entry: name, url and region checked like a registration, TLS files read
 * (relative to `baseDir`) and checked to be a CA, a certificate and its key. Throws ConfigError naming
 * the entry's key.
 */
export function staticFromFile(
  entry: StaticClusterFileEntry,
  index: number,
  path: string,
  baseDir: string,
): ConfiguredCluster {
  const at = (key: string): SettingSource => fileKey(path, index, key);
  check(at('name'), 'name', () => validateClusterName(entry.name));
  check(at('url'), 'url', () => validateGrpcTarget(entry.url));
  check(at('region'), 'region', () => validateRegion(entry.region));
  let tls: ClusterTls | undefined;
  if (entry.tls) {
    tls = {
      ca: readPemAsBase64(entry.tls.ca, baseDir, at('tls.ca')),
      crt: readPemAsBase64(entry.tls.crt, baseDir, at('tls.crt')),
      key: readPemAsBase64(entry.tls.key, baseDir, at('tls.key')),
    };
    // decodeTls names the part (tls.ca, tls.crt, tls.key) in its message.
    check(at(''), '', () => decodeTls(tls as ClusterTls));
  }
  const cluster: StaticCluster = {
    name: entry.name,
    url: entry.url,
    tls,
    state: entry.state,
    score: entry.score,
    maxScore: entry.maxScore,
    govern: entry.govern,
    region: entry.region,
    admissionConstraints: entry.admissionConstraints ?? [],
  };
  return { cluster, source: at('') };
}

/** One `--cluster NAME=URL` flag: a plain-text cluster, name and url checked like a registration. */
export function staticFromFlag(value: string): ConfiguredCluster {
  const source = flag(`--cluster "${value}"`);
  const eq = value.indexOf('=');
  const name = value.slice(0, eq).trim();
  const url = value.slice(eq + 1).trim();
  if (eq <= 0 || !name || !url) {
    throw new ConfigError(source, 'use NAME=URL, e.g. --cluster eu1=127.0.0.1:8081');
  }
  check(source, 'name', () => validateClusterName(name));
  check(source, 'url', () => validateGrpcTarget(url));
  return { cluster: plainStaticCluster(name, url), source };
}

/**
 * Refuses a static cluster without TLS unless plain text is allowed. The bridge would otherwise run
 * with that cluster refused and `/readyz` failing for good, which only its log explains.
 */
export function requirePlaintextAllowed(configured: readonly ConfiguredCluster[], allowed: boolean): void {
  if (allowed) return;
  const plain = configured.find((c) => !c.cluster.tls);
  if (!plain) return;
  const fix =
    plain.source.kind === 'file'
      ? 'give it tls.ca, tls.crt and tls.key, or allow plain text'
      : 'allow plain text';
  throw new ConfigError(
    plain.source,
    `cluster "${plain.cluster.name}" has no TLS; ${fix} with --allow-plaintext-clusters or ALLOW_PLAINTEXT_CLUSTERS=true`,
  );
}

/** Refuses a second cluster with the same name; the error names where the second one was configured. */
export function requireUniqueNames(configured: readonly ConfiguredCluster[]): void {
  const seen = new Set<string>();
  for (const { cluster, source } of configured) {
    if (seen.has(cluster.name)) {
      throw new ConfigError(source, `cluster "${cluster.name}" is configured twice`);
    }
    seen.add(cluster.name);
  }
}
