/**
 * The job state machine: every legal transition, as a pure function.
 *
 *   from                          event                                   to
 *   (new)                         submit, runAt <= now                    queued
 *   (new)                         submit, runAt > now                     scheduled
 *   scheduled, retrying           due (runAt reached)                     queued
 *   queued                        dispatch (attempt + 1: a new lease)     running
 *   running                       succeed                                 completed
 *   running                       error or timeout, failures <= retries   retrying (runAt = now + backoff)
 *   running                       lost (worker dead), failures <= retries queued, at the front
 *   running                       error, timeout or lost, none left       dead_letter
 *   running                       fatal (non-retryable error)             failed
 *   running                       return (lease given back unstarted)     queued, at the front, no failure
 *   queued, scheduled, retrying,
 *   running                       cancel                                  cancelled
 *   failed, dead_letter,
 *   cancelled                     redrive (history kept, failures reset)  queued
 *
 * Anything else is refused with FAILED_PRECONDITION and changes nothing. "Failures" count the
 * attempts that went wrong; a job may fail maxRetries times and still be retried, so it runs at
 * most maxRetries + 1 times unless a lease is returned unstarted. A lost worker counts as a failure
 * (so a job that kills every worker ends in dead_letter instead of looping) but is retried at once.
 * Running -> cancelled is applied at once: the worker is told to abort, and whatever it reports
 * later is refused by the lease fence.
 */
import { backoffDelay } from './backoff.js';
import { failedPrecondition } from '../errors.js';
import { type JobStatus } from './job.js';

/** The part of a job the state machine reads. */
export interface JobState {
  status: JobStatus;
  attempt: number;
  failures: number;
  maxRetries: number;
  runAt: number;
  backoffBaseMs: number;
  backoffCapMs: number;
}

export type JobEvent =
  | { type: 'due' }
  | { type: 'dispatch' }
  | { type: 'succeed' }
  | { type: 'error'; jitter: number }
  | { type: 'timeout'; jitter: number }
  | { type: 'lost' }
  | { type: 'fatal' }
  | { type: 'return' }
  | { type: 'cancel' }
  | { type: 'redrive' };

export type JobEventType = JobEvent['type'];

export interface Transition extends JobState {
  /** The job goes to the front of its priority (a lost worker's or returned job). */
  front: boolean;
  /** The transition ends the current attempt with this failure counted. */
  countedFailure: boolean;
}

const FROM: Record<JobEventType, readonly JobStatus[]> = {
  due: ['scheduled', 'retrying'],
  dispatch: ['queued'],
  succeed: ['running'],
  error: ['running'],
  timeout: ['running'],
  lost: ['running'],
  fatal: ['running'],
  return: ['running'],
  cancel: ['queued', 'scheduled', 'retrying', 'running'],
  redrive: ['failed', 'dead_letter', 'cancelled'],
};

/** Whether `event` is legal from `status`. */
export function canApply(status: JobStatus, event: JobEventType): boolean {
  return FROM[event].includes(status);
}

/**
 * The state machine's view of `job`, in `status`, as a fresh object that a transition may change.
 * Written out, not `{ ...job, front, countedFailure }`: in Node 20 a spread followed by more
 * properties leaves V8's fast path and costs ~1.5 µs, once per result on the master
 * (bench/micro/object-spread.mjs).
 */
export const stateOf = (job: Omit<JobState, 'status'>, status: JobStatus): Transition => ({
  status,
  attempt: job.attempt,
  failures: job.failures,
  maxRetries: job.maxRetries,
  runAt: job.runAt,
  backoffBaseMs: job.backoffBaseMs,
  backoffCapMs: job.backoffCapMs,
  front: false,
  countedFailure: false,
});

/**
 * Applies `event` to `job` at time `now`. Throws FAILED_PRECONDITION for a transition the table
 * does not allow.
 */
export function transition(job: JobState, event: JobEvent, now: number): Transition {
  if (!canApply(job.status, event.type)) {
    throw failedPrecondition(`cannot ${describe(event.type)} a job that is ${job.status.replace('_', ' ')}`);
  }
  const next = stateOf(job, job.status);
  switch (event.type) {
    case 'due':
      next.status = 'queued';
      return next;
    case 'dispatch':
      next.status = 'running';
      next.attempt = job.attempt + 1;
      return next;
    case 'succeed':
      next.status = 'completed';
      return next;
    case 'fatal':
      next.status = 'failed';
      return next;
    case 'return':
      next.status = 'queued';
      next.front = true;
      return next;
    case 'cancel':
      next.status = 'cancelled';
      return next;
    case 'redrive':
      next.status = 'queued';
      next.failures = 0;
      next.runAt = now;
      return next;
    case 'error':
    case 'timeout':
    case 'lost': {
      next.failures = job.failures + 1;
      next.countedFailure = true;
      if (next.failures > job.maxRetries) {
        next.status = 'dead_letter';
      } else if (event.type === 'lost') {
        next.status = 'queued';
        next.front = true;
      } else {
        next.status = 'retrying';
        next.runAt = now + backoffDelay(next.failures, job.backoffBaseMs, job.backoffCapMs, event.jitter);
      }
      return next;
    }
  }
}

function describe(event: JobEventType): string {
  switch (event) {
    case 'due':
      return 'promote';
    case 'dispatch':
      return 'dispatch';
    case 'succeed':
    case 'error':
    case 'timeout':
    case 'fatal':
      return 'record a result for';
    case 'lost':
      return 'requeue';
    case 'return':
      return 'return';
    case 'cancel':
      return 'cancel';
    case 'redrive':
      return 'retry';
  }
}

/** The status a newly submitted job starts in. */
export function initialStatus(runAt: number, now: number): JobStatus {
  return runAt > now ? 'scheduled' : 'queued';
}
