/**
 * The one place where Nucleus errors become gRPC statuses, and back.
 */
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ErrorCode, NucleusError, toNucleusError } from '../errors.js';

const TO_GRPC: Record<ErrorCode, GrpcStatus> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  FAILED_PRECONDITION: GrpcStatus.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: GrpcStatus.RESOURCE_EXHAUSTED,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  DEADLINE_EXCEEDED: GrpcStatus.DEADLINE_EXCEEDED,
  INTERNAL: GrpcStatus.INTERNAL,
  // Not sent by the master; listed after FAILED_PRECONDITION so that status maps back to it.
  REFUSED: GrpcStatus.FAILED_PRECONDITION,
};

/** A NucleusError (or anything thrown) as a gRPC error for a callback. */
export function toServiceError(error: unknown): Partial<ServiceError> {
  const e = toNucleusError(error);
  return { code: TO_GRPC[e.code], details: e.message, metadata: new Metadata() };
}

/**
 * A gRPC client error as a NucleusError, with a message for a person. `tls` says whether the
 * client connected with TLS (undefined: not known), so that a handshake failure can name the flag
 * that fixes it.
 */
export function fromServiceError(error: unknown, address: string, tls?: boolean): NucleusError {
  const e = error as Partial<ServiceError>;
  if (typeof e?.code !== 'number') return toNucleusError(error);
  const details = e.details || e.message || 'unknown error';
  switch (e.code) {
    case GrpcStatus.UNAVAILABLE: {
      const handshake = tlsProblem(details, tls);
      if (handshake) return new NucleusError(ErrorCode.Unavailable, `cannot reach the master at ${address}: ${handshake}`, { cause: error });
      if (/ECONNREFUSED|No connection established|connect|Name resolution|DNS/i.test(details)) {
        return new NucleusError(ErrorCode.Unavailable, `cannot reach the master at ${address} (${shortReason(details)})`, { cause: error });
      }
      return new NucleusError(ErrorCode.Unavailable, details, { cause: error });
    }
    case GrpcStatus.RESOURCE_EXHAUSTED: {
      // The transport's refusal of a message over the master's limit, before any handler saw it.
      const size = /Received message larger than max \((\d+) vs\.? (\d+)\)/.exec(details);
      if (size) {
        const limit = Number(size[2]);
        return new NucleusError(
          ErrorCode.ResourceExhausted,
          `the request is ${size[1]} bytes, over the master's limit of ${limit} bytes for one message (its --max-payload, ${limit - MESSAGE_HEADROOM_BYTES} bytes, plus 64 KiB): send a smaller payload, or start the master with a larger --max-payload`,
          { cause: error },
        );
      }
      return new NucleusError(ErrorCode.ResourceExhausted, details, { cause: error });
    }
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new NucleusError(ErrorCode.DeadlineExceeded, `the master at ${address} did not answer in time`, { cause: error });
    default: {
      const code = (Object.entries(TO_GRPC).find(([, value]) => value === e.code)?.[0] ?? ErrorCode.Internal) as ErrorCode;
      return new NucleusError(code, details, { cause: error });
    }
  }
}

/** What the master allows one message beyond --max-payload (rpc/server.ts sets the same). */
export const MESSAGE_HEADROOM_BYTES = 64 * 1024;

/**
 * A TLS handshake failure in OpenSSL's or grpc-js's words, as what is wrong and the flag that
 * fixes it; null when `details` is not one.
 */
export function tlsProblem(details: string, tls?: boolean): string | null {
  if (/certificate required|0A00045C|alert certificate/i.test(details) && !/unknown ca/i.test(details)) {
    return 'the master asks for a client certificate (mutual TLS); give --tls-cert and --tls-key (signed by the CA the master trusts)';
  }
  if (/unknown ca|0A000418/i.test(details)) {
    return 'the master does not trust this client certificate (it is not signed by the master\'s --tls-client-ca); give a --tls-cert signed by that CA';
  }
  if (/wrong version number|0A00010B|packet length too long|http request/i.test(details)) {
    return 'the master speaks plaintext, not TLS; leave out --tls-ca (or start the master with --tls-cert and --tls-key)';
  }
  if (/ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate/i.test(details)) {
    const names = /cert's (?:list|altnames): (.+?)(?:\.? Resolution note.*|\.?)$/is.exec(details)?.[1];
    return `the master's certificate is not valid for this name${names ? ` (it is for ${names.trim()})` : ''}; give --master a name or address in its certificate, or add this one to its subjectAltName`;
  }
  if (/self[- ]signed certificate|unable to (get local issuer|verify)|certificate verify failed|UNABLE_TO_VERIFY|SELF_SIGNED/i.test(details)) {
    return "the master's certificate is not signed by the CA in --tls-ca; give the CA that signed it";
  }
  if (/certificate has expired|CERT_HAS_EXPIRED/i.test(details)) return "the master's certificate has expired; renew it";
  // The master ended the handshake without an alert the client can read: with mutual TLS, that
  // is what a client certificate from another CA meets.
  if (tls === true && /Resolution note|Failed to connect/i.test(details) && !/ECONNREFUSED/.test(details)) {
    return 'the master ended the TLS handshake; if it asks for client certificates, give a --tls-cert and --tls-key signed by the CA it trusts (its --tls-client-ca)';
  }
  if (tls === false && /Resolution note|Failed to connect|Connection dropped|ECONNRESET|Protocol error|unexpected/i.test(details) && !/ECONNREFUSED/.test(details)) {
    return 'the connection was dropped while it was being set up; if the master serves TLS, connect with --tls-ca (and --tls-cert and --tls-key for mutual TLS)';
  }
  return null;
}

function shortReason(details: string): string {
  if (/ECONNREFUSED/.test(details)) return 'connection refused';
  if (/ENOTFOUND|Name resolution|DNS/i.test(details)) return 'unknown host';
  if (/ETIMEDOUT/.test(details)) return 'connection timed out';
  return details.split('\n')[0].slice(0, 120);
}
