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

/** A gRPC client error as a NucleusError, with a message for a person. */
export function fromServiceError(error: unknown, address: string): NucleusError {
  const e = error as Partial<ServiceError>;
  if (typeof e?.code !== 'number') return toNucleusError(error);
  const details = e.details || e.message || 'unknown error';
  switch (e.code) {
    case GrpcStatus.UNAVAILABLE:
      if (/ECONNREFUSED|No connection established|connect|Name resolution|DNS/i.test(details)) {
        return new NucleusError(ErrorCode.Unavailable, `cannot reach the master at ${address} (${shortReason(details)})`, { cause: error });
      }
      return new NucleusError(ErrorCode.Unavailable, details, { cause: error });
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new NucleusError(ErrorCode.DeadlineExceeded, `the master at ${address} did not answer in time`, { cause: error });
    default: {
      const code = (Object.entries(TO_GRPC).find(([, value]) => value === e.code)?.[0] ?? ErrorCode.Internal) as ErrorCode;
      return new NucleusError(code, details, { cause: error });
    }
  }
}

function shortReason(details: string): string {
  if (/ECONNREFUSED/.test(details)) return 'connection refused';
  if (/ENOTFOUND|Name resolution|DNS/i.test(details)) return 'unknown host';
  if (/ETIMEDOUT/.test(details)) return 'connection timed out';
  return details.split('\n')[0].slice(0, 120);
}
