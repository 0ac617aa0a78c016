/**
 * TLS for the master's gRPC port (and its HTTP gateway), and for clients and workers.
 *
 * Guarantees:
 * - The master serves TLS when given `--tls-cert` and `--tls-key`; with `--tls-client-ca` it asks
 *   every gRPC peer for a client certificate signed by that CA and refuses the handshake
 *   otherwise (mutual TLS).
 * - Clients and workers use TLS when given `--tls-ca` (the CA that signed the master's
 *   certificate; the master's host name or IP must be in the certificate) and present
 *   `--tls-cert`/`--tls-key` for mutual TLS. A certificate signed by another CA fails the
 *   handshake: the call ends UNAVAILABLE and nothing reaches the master's handlers.
 * - Files are read once at start-up; a missing or unreadable file is one clear error naming the
 *   flag, not a stack trace.
 */
import { readFileSync } from 'node:fs';
import { ServerCredentials, credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { invalidArgument } from '../errors.js';

/** The master's certificate files. */
export interface ServerTlsFiles {
  /** PEM certificate chain (`--tls-cert`). */
  certPath: string;
  /** PEM private key (`--tls-key`). */
  keyPath: string;
  /** PEM CA bundle that client certificates must chain to (`--tls-client-ca`); null: no client certificates asked. */
  clientCaPath: string | null;
}

/** A client's or worker's TLS files; TLS is on when either the CA or a certificate is given. */
export interface ClientTlsFiles {
  /** PEM CA bundle that signed the master's certificate (`--tls-ca`); null: the system's roots. */
  caPath: string | null;
  /** PEM client certificate for mutual TLS (`--tls-cert`). */
  certPath: string | null;
  /** PEM private key of the client certificate (`--tls-key`). */
  keyPath: string | null;
}

/** The PEM text of a file, or an error that names the flag. */
export function readPem(path: string, flag: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw invalidArgument(flag, `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (!bytes.includes('-----BEGIN ')) throw invalidArgument(flag, `${path} is not a PEM file (no "-----BEGIN" line)`);
  return bytes;
}

/** Checks that the master's TLS flags come as a whole: a certificate needs its key, and a client CA needs both. */
export function serverTlsFiles(certPath: string | undefined, keyPath: string | undefined, clientCaPath: string | undefined): ServerTlsFiles | null {
  if (!certPath && !keyPath) {
    if (clientCaPath) throw invalidArgument('--tls-client-ca', 'needs --tls-cert and --tls-key (mutual TLS is on top of TLS)');
    return null;
  }
  if (!certPath) throw invalidArgument('--tls-cert', 'is required with --tls-key');
  if (!keyPath) throw invalidArgument('--tls-key', 'is required with --tls-cert');
  return { certPath, keyPath, clientCaPath: clientCaPath ?? null };
}

/** Checks a client's TLS flags; null when TLS is off. */
export function clientTlsFiles(caPath: string | undefined, certPath: string | undefined, keyPath: string | undefined): ClientTlsFiles | null {
  if (Boolean(certPath) !== Boolean(keyPath)) {
    throw invalidArgument(certPath ? '--tls-key' : '--tls-cert', 'a client certificate needs both --tls-cert and --tls-key');
  }
  if (!caPath && !certPath) return null;
  return { caPath: caPath ?? null, certPath: certPath ?? null, keyPath: keyPath ?? null };
}

/** The gRPC server's credentials: insecure without TLS files. */
export function serverCredentials(tls: ServerTlsFiles | null): ServerCredentials {
  if (tls === null) return ServerCredentials.createInsecure();
  const pair = { cert_chain: readPem(tls.certPath, '--tls-cert'), private_key: readPem(tls.keyPath, '--tls-key') };
  const clientCa = tls.clientCaPath === null ? null : readPem(tls.clientCaPath, '--tls-client-ca');
  return ServerCredentials.createSsl(clientCa, [pair], clientCa !== null);
}

/** A channel's credentials: insecure without TLS files. */
export function channelCredentials(tls: ClientTlsFiles | null): ChannelCredentials {
  if (tls === null) return credentials.createInsecure();
  return credentials.createSsl(
    tls.caPath === null ? null : readPem(tls.caPath, '--tls-ca'),
    tls.keyPath === null ? null : readPem(tls.keyPath, '--tls-key'),
    tls.certPath === null ? null : readPem(tls.certPath, '--tls-cert'),
  );
}

/** Options for an HTTPS server with the master's certificate (client certificates are not asked: probes carry none). */
export function httpsOptions(tls: ServerTlsFiles): { cert: Buffer; key: Buffer } {
  return { cert: readPem(tls.certPath, '--tls-cert'), key: readPem(tls.keyPath, '--tls-key') };
}
