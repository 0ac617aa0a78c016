/**
 * The job state machine, table-driven over every (status, event) pair: a legal pair gives the
 * documented result; any other pair throws FAILED_PRECONDITION and leaves the job untouched.
 */
import { describe, expect, it } from 'vitest';
import { canApply, initialStatus, transition, type JobEvent, type JobEventType, type JobState } from '../../../src/core/state-machine.js';
import { ALL_STATUSES, type JobStatus } from '../../../src/core/job.js';
import { backoffDelay } from '../../../src/core/backoff.js';
import { ErrorCode, NucleusError } from '../../../src/errors.js';

const NOW = 1_000_000;
const JITTER = 0.25;

const EVENTS: Record<JobEventType, JobEvent> = {
  due: { type: 'due' },
  dispatch: { type: 'dispatch' },
  succeed: { type: 'succeed' },
  error: { type: 'error', jitter: JITTER },
  timeout: { type: 'timeout', jitter: JITTER },
  lost: { type: 'lost' },
  fatal: { type: 'fatal' },
  return: { type: 'return' },
  cancel: { type: 'cancel' },
  redrive: { type: 'redrive' },
};

/** A job with one failure already counted and retries left (maxRetries 3). */
const job = (status: JobStatus, overrides: Partial<JobState> = {}): JobState =>
  Object.freeze({ status, attempt: 2, failures: 1, maxRetries: 3, runAt: 500, backoffBaseMs: 1000, backoffCapMs: 60_000, ...overrides });

interface Expected {
  status: JobStatus;
  attempt: number;
  failures: number;
  front: boolean;
  runAt: number;
  countedFailure: boolean;
}

const unchanged = (s: JobStatus): Omit<Expected, 'status'> => {
  const j = job(s);
  return { attempt: j.attempt, failures: j.failures, front: false, runAt: j.runAt, countedFailure: false };
};
const retryAt = NOW + backoffDelay(2, 1000, 60_000, JITTER);

/** The documented table, for a job with retries left. Pairs not listed are illegal. */
const LEGAL: Partial<Record<JobStatus, Partial<Record<JobEventType, Expected>>>> = {
  scheduled: {
    due: { status: 'queued', ...unchanged('scheduled') },
    cancel: { status: 'cancelled', ...unchanged('scheduled') },
  },
  retrying: {
    due: { status: 'queued', ...unchanged('retrying') },
    cancel: { status: 'cancelled', ...unchanged('retrying') },
  },
  queued: {
    dispatch: { status: 'running', ...unchanged('queued'), attempt: 3 },
    cancel: { status: 'cancelled', ...unchanged('queued') },
  },
  running: {
    succeed: { status: 'completed', ...unchanged('running') },
    error: { status: 'retrying', attempt: 2, failures: 2, front: false, runAt: retryAt, countedFailure: true },
    timeout: { status: 'retrying', attempt: 2, failures: 2, front: false, runAt: retryAt, countedFailure: true },
    lost: { status: 'queued', attempt: 2, failures: 2, front: true, runAt: 500, countedFailure: true },
    fatal: { status: 'failed', ...unchanged('running') },
    return: { status: 'queued', ...unchanged('running'), front: true },
    cancel: { status: 'cancelled', ...unchanged('running') },
  },
  failed: { redrive: { status: 'queued', ...unchanged('failed'), failures: 0, runAt: NOW } },
  dead_letter: { redrive: { status: 'queued', ...unchanged('dead_letter'), failures: 0, runAt: NOW } },
  cancelled: { redrive: { status: 'queued', ...unchanged('cancelled'), failures: 0, runAt: NOW } },
};

const pairs = ALL_STATUSES.flatMap((status) => (Object.keys(EVENTS) as JobEventType[]).map((event) => ({ status, event })));

describe('transition: every (status, event) pair', () => {
  it('covers all 80 pairs', () => {
    expect(pairs).toHaveLength(ALL_STATUSES.length * 10);
    expect(ALL_STATUSES).toHaveLength(8);
  });

  it.each(pairs)('given a $status job, when $event arrives, then it follows the table', ({ status, event }) => {
    const before = job(status);
    const snapshot = { ...before };
    const expected = LEGAL[status]?.[event];
    expect(canApply(status, event)).toBe(expected !== undefined);
    if (expected) {
      const next = transition(before, EVENTS[event], NOW);
      expect({
        status: next.status,
        attempt: next.attempt,
        failures: next.failures,
        front: next.front,
        runAt: next.runAt,
        countedFailure: next.countedFailure,
      }).toEqual(expected);
      expect(next.maxRetries).toBe(before.maxRetries);
    } else {
      let thrown: unknown;
      try {
        transition(before, EVENTS[event], NOW);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(NucleusError);
      expect((thrown as NucleusError).code).toBe(ErrorCode.FailedPrecondition);
      expect((thrown as NucleusError).message).toContain(status.replace('_', ' '));
    }
    // Pure: the input is never changed, legal or not.
    expect(before).toEqual(snapshot);
  });
});

describe('transition: failures and retries', () => {
  it('given a running job with retries left, when it errors, then it is retrying at now + backoff for the new failure count', () => {
    const next = transition(job('running', { failures: 0, maxRetries: 2 }), { type: 'error', jitter: 0 }, NOW);
    expect(next.status).toBe('retrying');
    expect(next.failures).toBe(1);
    // failure 1, jitter 0: half of the base.
    expect(next.runAt).toBe(NOW + 500);
  });

  it('given the last retry used up, when it errors, times out or is lost, then it is dead_letter and not at the front', () => {
    for (const event of [EVENTS.error, EVENTS.timeout, EVENTS.lost]) {
      const next = transition(job('running', { failures: 3, maxRetries: 3 }), event, NOW);
      expect(next.status).toBe('dead_letter');
      expect(next.failures).toBe(4);
      expect(next.front).toBe(false);
      expect(next.countedFailure).toBe(true);
      expect(next.runAt).toBe(500);
    }
  });

  it('given maxRetries 0, when the first attempt errors, then it goes straight to dead_letter', () => {
    expect(transition(job('running', { failures: 0, maxRetries: 0 }), EVENTS.error, NOW).status).toBe('dead_letter');
  });

  it('given the last retry left (failures == maxRetries - 1), when it errors, then it is still retried', () => {
    const next = transition(job('running', { failures: 2, maxRetries: 3 }), EVENTS.error, NOW);
    expect(next.status).toBe('retrying');
    expect(next.failures).toBe(3);
  });

  it('given a lost worker with retries left, when lost, then queued at the front with a failure counted and run-at unchanged', () => {
    const next = transition(job('running', { failures: 0 }), EVENTS.lost, NOW);
    expect(next).toMatchObject({ status: 'queued', front: true, failures: 1, countedFailure: true, runAt: 500 });
  });

  it('given a lease returned unstarted, when return, then queued at the front without counting a failure, even with none left', () => {
    const next = transition(job('running', { failures: 3, maxRetries: 3 }), EVENTS.return, NOW);
    expect(next).toMatchObject({ status: 'queued', front: true, failures: 3, countedFailure: false });
  });

  it('given a fatal error with retries left, when fatal, then failed at once', () => {
    expect(transition(job('running', { failures: 0, maxRetries: 100 }), EVENTS.fatal, NOW).status).toBe('failed');
  });

  it('given a dead-lettered job with many failures, when redriven, then queued now with failures reset and attempt kept', () => {
    const next = transition(job('dead_letter', { failures: 4, attempt: 4 }), EVENTS.redrive, NOW);
    expect(next).toMatchObject({ status: 'queued', failures: 0, attempt: 4, runAt: NOW });
  });

  it('given the backoff grows, when successive errors happen, then each retry waits longer up to the cap', () => {
    let state: JobState = job('running', { failures: 0, maxRetries: 10, backoffBaseMs: 100, backoffCapMs: 1000 });
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const next = transition(state, { type: 'error', jitter: 1 }, NOW);
      waits.push(next.runAt - NOW);
      state = { ...next, status: 'running' };
    }
    expect(waits).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});

describe('initialStatus', () => {
  it('given run-at now or in the past, then queued; in the future, then scheduled', () => {
    expect(initialStatus(NOW, NOW)).toBe('queued');
    expect(initialStatus(NOW - 1, NOW)).toBe('queued');
    expect(initialStatus(NOW + 1, NOW)).toBe('scheduled');
  });
});
