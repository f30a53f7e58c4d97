/** The one-line messages of the CLI: failed calls, parser errors, ports in use, TLS names, warnings. */
import { status } from '@grpc/grpc-js';
import type { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { callFailed, connectionDetail } from '../../src/cli/call-errors.js';
import { parserErrorLine } from '../../src/cli/parser-errors.js';
import { buildProgram } from '../../src/cli/program.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { plainListenError } from '../../src/cli/listen-errors.js';
import { silenceUnactionableWarnings } from '../../src/cli/process-warnings.js';
import { certificateNameMismatch, tlsServerNameHint } from '../../src/wsman/credentials.js';

const MISMATCH =
  "14 UNAVAILABLE: No connection established. Last error: Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: wrong-name. is not in the cert's altnames: DNS:ws-manager, DNS:localhost, IP Address:127.0.0.1. Resolution note: ";

function serviceError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details });
}

describe('callFailed', () => {
  const plain = { address: '127.0.0.1:8080', tls: false };
  it.each<[string, number, string, string, number]>([
    [
      'no bridge running',
      status.UNAVAILABLE,
      'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:8080. Resolution note: ',
      'list: nothing listens at 127.0.0.1:8080 (connection refused); is the bridge running? Give its ClusterService address with --addr or CLUSTER_SERVICE_ADDR',
      EXIT.failure,
    ],
    [
      'an unknown host',
      status.UNAVAILABLE,
      'Name resolution failed for target dns:nohost.invalid:8080',
      'list: cannot resolve the host of 127.0.0.1:8080; check --addr or CLUSTER_SERVICE_ADDR',
      EXIT.failure,
    ],
    [
      'a TLS service called in plain text',
      status.UNAVAILABLE,
      'No connection established. Last error: Failed to connect (2026-12-03T21:32:42.048Z). Resolution note: ',
      'list: the cluster service at 127.0.0.1:8080 did not answer in plain text; if it uses TLS, give its CA with --tls-ca',
      EXIT.failure,
    ],
    [
      'a certificate for another name',
      status.UNAVAILABLE,
      MISMATCH.slice('14 UNAVAILABLE: '.length),
      "list: the certificate of the cluster service at 127.0.0.1:8080 is not valid for the name the CLI expected (Host: wrong-name. is not in the cert's altnames: DNS:ws-manager, DNS:localhost, IP Address:127.0.0.1); give a name it is valid for with --tls-server-name",
      EXIT.failure,
    ],
    [
      'a service that wants a client certificate',
      status.UNAVAILABLE,
      'No connection established. Last error: 80ECC7E8A67F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 116. Resolution note: ',
      'list: the cluster service at 127.0.0.1:8080 requires a client certificate; give --tls-cert and --tls-key',
      EXIT.failure,
    ],
    [
      'a service certificate from another CA',
      status.UNAVAILABLE,
      'No connection established. Last error: Error: self-signed certificate in certificate chain. Resolution note: ',
      'list: the certificate of the cluster service at 127.0.0.1:8080 is not signed by the CA given with --tls-ca (self-signed certificate in certificate chain)',
      EXIT.failure,
    ],
    [
      'a service that is stopping',
      status.UNAVAILABLE,
      'the bridge is shutting down',
      'list failed: UNAVAILABLE: the bridge is shutting down',
      EXIT.failure,
    ],
    [
      'a refused argument',
      status.INVALID_ARGUMENT,
      'name is empty; send the cluster name',
      'list failed: INVALID_ARGUMENT: name is empty; send the cluster name',
      EXIT.usage,
    ],
    [
      'a ws-manager certificate for another name',
      status.FAILED_PRECONDITION,
      `cannot reach 10.0.0.5:8080: ${MISMATCH}`,
      `list failed: FAILED_PRECONDITION: cannot reach 10.0.0.5:8080: ${MISMATCH} (the bridge expects the ws-manager certificate to be valid for its WSMAN_TLS_SERVER_NAME, default ws-manager)`,
      EXIT.failure,
    ],
  ])('says what happened for %s, on one line', (_label, code, details, message, exitCode) => {
    const error = callFailed('list', plain, serviceError(code, details));
    expect({ message: error.message, exitCode: error.exitCode }).toEqual({ message, exitCode });
  });

  it('strips the framing grpc-js puts around a connection failure', () => {
    expect(
      connectionDetail('No connection established. Last error: Error: read ECONNRESET. Resolution note: '),
    ).toBe('read ECONNRESET');
  });
});

describe('parser errors', () => {
  const program = buildProgram(() => undefined);
  const command = (path: string[]): Command => {
    let found: Command = program;
    for (const name of path) found = found.commands.find((c) => c.name() === name) ?? found;
    return found;
  };
  it.each<[string, string[], string]>([
    [
      "error: unknown option '--addr'\n",
      ['clusters', 'list'],
      "ws-manager-bridge: unknown option '--addr' (--addr is a connection flag and goes before the verb: ws-manager-bridge clusters --addr … list …); see ws-manager-bridge clusters list --help\n",
    ],
    [
      "error: unknown option '--token=x'\n",
      ['clusters', 'deregister'],
      "ws-manager-bridge: unknown option '--token=x' (--token is a connection flag and goes before the verb: ws-manager-bridge clusters --token … deregister …); see ws-manager-bridge clusters deregister --help\n",
    ],
    [
      "error: unknown option '--tls-crt'\n(Did you mean --tls-cert?)\n",
      ['clusters', 'register'],
      "ws-manager-bridge: unknown option '--tls-crt' (did you mean --tls-cert?) (connection flags (--addr, --token, --tls-ca, --tls-cert, --tls-key, --tls-server-name, --timeout) go before the verb: ws-manager-bridge clusters --addr HOST:PORT register …); see ws-manager-bridge clusters register --help\n",
    ],
    [
      "error: missing required argument 'name'\n",
      ['clusters', 'deregister'],
      "ws-manager-bridge: missing required argument 'name'; see ws-manager-bridge clusters deregister --help\n",
    ],
    [
      "error: unknown option '--verbose'\n",
      ['serve'],
      "ws-manager-bridge: unknown option '--verbose'; see ws-manager-bridge serve --help\n",
    ],
  ])('%j from %j is one line', (text, path, expected) => {
    expect(parserErrorLine(text, command(path))).toBe(expected);
  });
});

describe('plainListenError', () => {
  it.each([
    [
      'cannot serve the cluster service on 127.0.0.1:8080: No address added out of total 1 resolved errors: [listen EADDRINUSE: address already in use 127.0.0.1:8080]',
      'cannot serve the cluster service on 127.0.0.1:8080: address already in use',
    ],
    [
      'cannot serve the operator HTTP endpoints on [::1]:9500: listen EADDRINUSE: address already in use ::1:9500',
      'cannot serve the operator HTTP endpoints on [::1]:9500: address already in use',
    ],
    [
      'No address added out of total 2 resolved errors: [listen EACCES: permission denied 0.0.0.0:80,listen EACCES: permission denied [::]:80]',
      'permission denied',
    ],
    ['migration 0002 failed: relation exists', 'migration 0002 failed: relation exists'],
  ])('%s', (message, expected) => {
    expect(plainListenError(message)).toBe(expected);
  });
});

describe('TLS server name hints', () => {
  it('recognises a certificate that is not valid for the expected name', () => {
    expect(certificateNameMismatch(MISMATCH)).toBe(
      "Host: wrong-name. is not in the cert's altnames: DNS:ws-manager, DNS:localhost, IP Address:127.0.0.1",
    );
    expect(tlsServerNameHint(MISMATCH, 'wrong-name')).toBe(
      'the certificate is not valid for "wrong-name", the server name the bridge expects; set WSMAN_TLS_SERVER_NAME to a name it is valid for',
    );
  });

  it.each([
    '14 UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:1',
    'self-signed certificate in certificate chain',
  ])('gives no hint for %j', (failure) => {
    expect(certificateNameMismatch(failure)).toBeUndefined();
    expect(tlsServerNameHint(failure, 'ws-manager')).toBeUndefined();
  });
});

describe('silenceUnactionableWarnings', () => {
  const original = process.emitWarning.bind(process);
  afterEach(() => {
    process.emitWarning = original;
  });

  it('drops DEP0123 in both calling conventions and passes every other warning on', () => {
    const seen = vi.fn();
    process.emitWarning = seen as typeof process.emitWarning;
    silenceUnactionableWarnings();
    process.emitWarning('IP server name', 'DeprecationWarning', 'DEP0123');
    process.emitWarning('IP server name', { type: 'DeprecationWarning', code: 'DEP0123' });
    process.emitWarning('Buffer() is deprecated', 'DeprecationWarning', 'DEP0005');
    process.emitWarning('something else');
    expect(seen.mock.calls).toEqual([
      ['Buffer() is deprecated', 'DeprecationWarning', 'DEP0005'],
      ['something else'],
    ]);
  });
});
