/** TLS material for ws-manager connections: base64-encoded PEM, as the original stores it. */
import { CodedError } from '../lifecycle/coded-error.js';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import type { ClusterTls } from '../store/types.js';

/** TLS material that cannot be used; the message says which part and why, never the material. */
export class InvalidTlsError extends CodedError<'INVALID_TLS'> {
  constructor(message: string) {
    super('INVALID_TLS', message);
  }
}

function decodePem(value: string, part: string, marker: string): Buffer {
  const trimmed = value.trim();
  if (!trimmed) throw new InvalidTlsError(`tls.${part} is empty`);
  if (!/^[A-Za-z0-9+/=\s]+$/.test(trimmed)) throw new InvalidTlsError(`tls.${part} is not base64`);
  const pem = Buffer.from(trimmed, 'base64');
  if (!pem.toString('latin1').includes(`-----BEGIN ${marker}`)) {
    throw new InvalidTlsError(`tls.${part} is not a base64-encoded PEM ${marker.toLowerCase()}`);
  }
  return pem;
}

/** Decoded and checked PEM buffers of a TLS config. */
export interface DecodedTls {
  ca: Buffer;
  crt: Buffer;
  key: Buffer;
}

/**
 * Decodes and checks TLS material: each part is base64 PEM, the certificates parse, and the key
 * belongs to the client certificate. Throws InvalidTlsError.
 */
export function decodeTls(tls: ClusterTls): DecodedTls {
  const ca = decodePem(tls.ca, 'ca', 'CERTIFICATE');
  const crt = decodePem(tls.crt, 'crt', 'CERTIFICATE');
  const key = decodePem(tls.key, 'key', '');
  let cert: X509Certificate;
  try {
    new X509Certificate(ca);
  } catch {
    throw new InvalidTlsError('tls.ca does not parse as an X.509 certificate');
  }
  try {
    cert = new X509Certificate(crt);
  } catch {
    throw new InvalidTlsError('tls.crt does not parse as an X.509 certificate');
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new InvalidTlsError('tls.key does not parse as a private key');
  }
  if (!cert.checkPrivateKey(privateKey))
    throw new InvalidTlsError('tls.key does not match the certificate in tls.crt');
  return { ca, crt, key };
}

/**
 * Node's reason when a server certificate is not valid for the name the client expected, taken out of
 * a gRPC failure text (e.g. `Host: ws-manager. is not in the cert's altnames: DNS:wsman.eu70`);
 * undefined for any other failure.
 */
export function certificateNameMismatch(failure: string): string | undefined {
  const match =
    /(?:ERR_TLS_CERT_ALTNAME_INVALID\]?: )?Hostname\/IP does not match certificate's altnames: (.*)$/s.exec(
      failure,
    );
  return match?.[1]?.replace(/\s*Resolution note:.*$/s, '').replace(/\.$/, '');
}

/**
 * For a failed ws-manager connection whose certificate is not valid for the expected server name, a
 * hint naming the setting that changes that name; undefined for any other failure.
 */
export function tlsServerNameHint(failure: string, serverName: string): string | undefined {
  if (certificateNameMismatch(failure) === undefined) return undefined;
  return `the certificate is not valid for "${serverName}", the server name the bridge expects; set WSMAN_TLS_SERVER_NAME to a name it is valid for`;
}

/** Channel credentials: mTLS from base64 PEM when `tls` is given, else plain text. */
export function channelCredentials(tls: ClusterTls | undefined | null): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  const decoded = decodeTls(tls);
  return credentials.createSsl(decoded.ca, decoded.key, decoded.crt);
}
