/**
 * One line for a failed ClusterService call. grpc-js describes a failed connection in its own words
 * (`No connection established. Last error: … Resolution note: `); the user needs what went wrong and
 * which flag changes it.
 */
import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { errorMessage } from '../lifecycle/abort.js';
import { certificateNameMismatch } from '../wsman/credentials.js';
import { CliError, EXIT } from './exit-codes.js';

/** How the CLI tried to reach the service. */
export interface CallTarget {
  address: string;
  /** TLS was on (`--tls-ca`). */
  tls: boolean;
}

/** grpc-js's connection failure text without its framing, timestamps and empty notes. */
export function connectionDetail(details: string): string {
  return details
    .replace(/\s*\n\s*/g, ' ')
    .replace(/^No connection established\. Last error: /, '')
    .replace(/\s*Resolution note:.*$/, '')
    .replace(/ \(\d{4}-\d\d-\d\dT[^)]*\)/g, '')
    .replace(/^Error(?: \[[A-Z_]+\])?: /, '')
    .replace(/\.$/, '');
}

/** What to tell the user when the service could not be reached at all. */
function unreachable(verb: string, target: CallTarget, details: string): string {
  const where = `the cluster service at ${target.address}`;
  const detail = connectionDetail(details);
  if (/ECONNREFUSED/.test(detail)) {
    return `${verb}: nothing listens at ${target.address} (connection refused); is the bridge running? Give its ClusterService address with --addr or CLUSTER_SERVICE_ADDR`;
  }
  if (/ENOTFOUND|EAI_AGAIN|[Nn]ame resolution failed|DNS resolution failed/.test(detail)) {
    return `${verb}: cannot resolve the host of ${target.address}; check --addr or CLUSTER_SERVICE_ADDR`;
  }
  const mismatch = certificateNameMismatch(detail);
  if (mismatch !== undefined) {
    return `${verb}: the certificate of ${where} is not valid for the name the CLI expected (${mismatch}); give a name it is valid for with --tls-server-name`;
  }
  if (/certificate|SSL|TLS|handshake|self.signed/i.test(detail)) {
    // OpenSSL's text is `<hex>:error:<code>:SSL routines:<function>:<reason>:<source file>:…`.
    const reason = /SSL routines:[^:]*:([^:]+)/.exec(detail)?.[1] ?? detail;
    if (/certificate required/.test(reason)) {
      return `${verb}: ${where} requires a client certificate; give --tls-cert and --tls-key`;
    }
    if (/self.signed|unable to (verify|get local issuer)/i.test(reason)) {
      return `${verb}: the certificate of ${where} is not signed by the CA given with --tls-ca (${reason})`;
    }
    return `${verb}: TLS with ${where} failed (${reason}); check --tls-ca, --tls-cert and --tls-key`;
  }
  if (!target.tls && /^Failed to connect$/.test(detail)) {
    return `${verb}: ${where} did not answer in plain text; if it uses TLS, give its CA with --tls-ca`;
  }
  return `${verb}: cannot reach ${where} (${detail}); check --addr / CLUSTER_SERVICE_ADDR and the TLS flags`;
}

/** Turns a failed call into the CLI's one-line error: exit 2 for INVALID_ARGUMENT, else 1. */
export function callFailed(verb: string, target: CallTarget, error: unknown): CliError {
  const e = error as Partial<ServiceError>;
  if (typeof e.code !== 'number') return new CliError(`${verb}: ${errorMessage(error)}`);
  // The CLI prints exactly one line, whatever the server or grpc-js put into the details.
  const details = (e.details ?? e.message ?? '').replace(/\s*\n\s*/g, ' ');
  if (e.code === grpcStatus.DEADLINE_EXCEEDED) {
    return new CliError(
      `${verb}: the cluster service did not answer in time (${details}); try a longer --timeout`,
    );
  }
  // UNAVAILABLE from the service itself (it is stopping) carries its own words; only a connection
  // that never came up gets the diagnosis.
  if (
    e.code === grpcStatus.UNAVAILABLE &&
    /^(No connection established|Name resolution failed)/.test(details)
  ) {
    return new CliError(unreachable(verb, target, details));
  }
  const name = grpcStatus[e.code] ?? String(e.code);
  // register and update … tls make the bridge dial the ws-manager; its certificate must be valid for
  // the bridge's WSMAN_TLS_SERVER_NAME, which the CLI cannot see.
  const hint =
    certificateNameMismatch(details) === undefined
      ? ''
      : ' (the bridge expects the ws-manager certificate to be valid for its WSMAN_TLS_SERVER_NAME, default ws-manager)';
  return new CliError(
    `${verb} failed: ${name}: ${details}${hint}`,
    e.code === grpcStatus.INVALID_ARGUMENT ? EXIT.usage : EXIT.failure,
  );
}
