/**
 * What a job handler is, and the errors it can throw. User handler modules import these from the
 * `nucleus` package.
 */
import type { Logger } from '../log.js';

/** What a handler gets besides its payload. */
export interface HandlerContext {
  /** Aborted when the attempt times out, the job is cancelled, or the worker shuts down. */
  signal: AbortSignal;
  jobId: string;
  /** This attempt's number (1 for the first run). */
  attempt: number;
  queue: string;
  type: string;
  /** Reports progress (0..100) and a short message; it travels on the next heartbeat. */
  progress(percent: number, message?: string): void;
  logger: Logger;
}

/**
 * A job handler: takes the decoded payload (JSON value, or raw bytes for other content types)
 * and returns the result (any JSON value, or bytes). Throwing fails the attempt; it is retried
 * unless the error is a NonRetryableError.
 */
export type Handler = (payload: unknown, context: HandlerContext) => unknown | Promise<unknown>;

export type HandlerMap = Record<string, Handler>;

/** Thrown by a handler to fail the job at once, without retries (the job ends `failed`). */
export class NonRetryableError extends Error {
  override readonly name: string = 'NonRetryableError';
}

/** The payload does not fit the job type's schema: never retried. */
export class PayloadError extends NonRetryableError {
  override readonly name = 'PayloadError';
}
