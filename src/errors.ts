/**
 * The one error catalogue of Nucleus. Every error a user can meet is a NucleusError with a stable
 * `code`; `rpc/status.ts` maps codes to gRPC status codes and `commands/exit-codes.ts` to exit
 * codes. Unknown throwables are coerced with `toNucleusError` at every boundary.
 */

/** Stable error codes. The gRPC status each one travels as is in rpc/status.ts. */
export const ErrorCode = {
  /** A request field is missing or out of range; the message names the field and the limit. */
  InvalidArgument: 'INVALID_ARGUMENT',
  /** No job with that id. */
  NotFound: 'NOT_FOUND',
  /** The job is not in a state that allows the operation (e.g. cancelling a finished job). */
  FailedPrecondition: 'FAILED_PRECONDITION',
  /** A payload or batch over its limit. */
  ResourceExhausted: 'RESOURCE_EXHAUSTED',
  /** The name is taken by something alive (a worker id held by another connected process). */
  AlreadyExists: 'ALREADY_EXISTS',
  /** Missing or wrong credentials. */
  Unauthenticated: 'UNAUTHENTICATED',
  /** The master is not accepting work (starting, draining) or its store cannot be written. */
  Unavailable: 'UNAVAILABLE',
  /** The operation did not finish within its deadline. */
  DeadlineExceeded: 'DEADLINE_EXCEEDED',
  /**
   * Refused for good, so that retrying or restarting with the same settings cannot help: the
   * store is held by another running process, or the master will not take this worker.
   */
  Refused: 'REFUSED',
  /** A bug or an unexpected failure. */
  Internal: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error a person can act on: a stable code, a message, and the cause when there is one. */
export class NucleusError extends Error {
  override readonly name = 'NucleusError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const invalidArgument = (field: string, problem: string): NucleusError =>
  new NucleusError(ErrorCode.InvalidArgument, `${field}: ${problem}`);

export const notFound = (what: string): NucleusError => new NucleusError(ErrorCode.NotFound, `${what} not found`);

export const failedPrecondition = (message: string): NucleusError =>
  new NucleusError(ErrorCode.FailedPrecondition, message);

/** Coerces anything thrown into a NucleusError, keeping the original as `cause`. */
export function toNucleusError(error: unknown): NucleusError {
  if (error instanceof NucleusError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new NucleusError(ErrorCode.Internal, message, { cause: error });
}
