/**
 * Failures end where the state machine says: retryable errors back off and retry until the
 * retries run out (dead_letter), non-retryable ones fail at once, attempts that run past their
 * timeout count as failures. The master's clock is a fake one, so backoff is exact, not waited for.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { HandWorker } from './hand-worker.js';
import { connected, getJob, payload, submit, waitForStatus } from './jobs.js';
import { ManualClock } from '../../src/core/clock.js';
import { NonRetryableError } from '../../src/handlers/handler.js';

let cluster: TestCluster | null = null;
let hand: HandWorker | null = null;
afterEach(async () => {
  hand?.close();
  hand = null;
  await cluster?.close();
  cluster = null;
});

/** Advances the fake clock to `at` and promotes what is due. */
function promoteAt(clock: ManualClock, c: TestCluster, at: number): void {
  clock.set(at);
  c.running.master.scheduler.promoteDue();
}

describe('retryable errors', () => {
  it('given a handler that always throws, when it runs, then it retries after a backoff that grows each time and ends in dead_letter', async () => {
    const clock = new ManualClock();
    cluster = await startCluster({ clock });
    let runs = 0;
    await connected(
      await cluster.addWorker({ concurrency: 1 }, {
        flaky: () => {
          runs++;
          throw new Error(`boom ${runs}`);
        },
      }),
    );
    const jobId = await submit(cluster, { type: 'flaky', maxRetries: 2, backoffBaseMs: 1000, backoffCapMs: 10_000 });

    // Failure 1: backoff ceiling 1000 ms, jittered into [500, 1000].
    let job = await waitForStatus(cluster, jobId, 'retrying');
    expect(job.failures).toBe(1);
    expect(job.error).toBe('boom 1');
    const firstWait = job.runAtMs - clock.now();
    expect(firstWait).toBeGreaterThanOrEqual(500);
    expect(firstWait).toBeLessThanOrEqual(1000);

    // Not yet due: nothing moves.
    promoteAt(clock, cluster, job.runAtMs - 1);
    expect((await getJob(cluster, jobId)).state).toBe('retrying');
    expect(runs).toBe(1);

    // Due: it runs again and fails again. Failure 2: ceiling 2000 ms.
    promoteAt(clock, cluster, job.runAtMs);
    job = await waitFor(async () => {
      const j = await getJob(cluster!, jobId);
      return j.state === 'retrying' && j.failures === 2 ? j : null;
    }, 'the second failure');
    const secondWait = job.runAtMs - clock.now();
    expect(secondWait).toBeGreaterThanOrEqual(1000);
    expect(secondWait).toBeLessThanOrEqual(2000);

    // Third and last attempt (max retries 2): dead letter.
    promoteAt(clock, cluster, job.runAtMs);
    job = await waitForStatus(cluster, jobId, 'dead_letter');
    expect(runs).toBe(3);
    expect(job.failures).toBe(3);
    expect(job.error).toBe('boom 3');
    expect(job.finishedAtMs).toBe(clock.now());
    expect(job.attempts.map((a) => [a.number, a.outcome, a.error])).toEqual([
      [1, 'error', 'boom 1'],
      [2, 'error', 'boom 2'],
      [3, 'error', 'boom 3'],
    ]);
  });

  it('given a handler that fails once, when retried, then it completes with the failure in its history', async () => {
    const clock = new ManualClock();
    cluster = await startCluster({ clock });
    let runs = 0;
    await connected(
      await cluster.addWorker({}, {
        once: () => {
          if (++runs === 1) throw new TypeError('transient');
          return 'ok';
        },
      }),
    );
    const jobId = await submit(cluster, { type: 'once' });
    const retrying = await waitForStatus(cluster, jobId, 'retrying');
    expect(retrying.error).toBe('TypeError: transient');
    promoteAt(clock, cluster, retrying.runAtMs);
    const done = await waitForStatus(cluster, jobId, 'completed');
    expect(done.failures).toBe(1);
    expect(done.error).toBe('');
    expect(done.attempts.map((a) => a.outcome)).toEqual(['error', 'completed']);
  });

  it('given max retries 0, when the only attempt fails, then dead_letter at once', async () => {
    cluster = await startCluster();
    await connected(await cluster.addWorker({}, { bad: () => Promise.reject(new Error('nope')) }));
    const jobId = await submit(cluster, { type: 'bad', maxRetries: 0 });
    const job = await waitForStatus(cluster, jobId, 'dead_letter');
    expect(job.attempts).toHaveLength(1);
  });
});

describe('non-retryable errors', () => {
  it('given a handler that throws NonRetryableError, when it runs, then the job fails at once despite retries left', async () => {
    cluster = await startCluster();
    let runs = 0;
    await connected(
      await cluster.addWorker({}, {
        strict: () => {
          runs++;
          throw new NonRetryableError('customer 42 does not exist');
        },
      }),
    );
    const jobId = await submit(cluster, { type: 'strict', maxRetries: 10 });
    const job = await waitForStatus(cluster, jobId, 'failed');
    expect(runs).toBe(1);
    expect(job.error).toBe('NonRetryableError: customer 42 does not exist');
    expect(job.attempts.map((a) => a.outcome)).toEqual(['fatal']);
  });

  it('given a payload that is not valid JSON, when it runs, then it fails without retry and says why', async () => {
    cluster = await startCluster();
    await connected(await cluster.addWorker());
    const jobId = await submit(cluster, { type: 'echo', payload: Buffer.from('{not json'), maxRetries: 5 });
    const job = await waitForStatus(cluster, jobId, 'failed');
    expect(job.error).toMatch(/payload is not valid JSON/);
  });

  it('given a built-in type with a payload of the wrong shape, when it runs, then it fails naming the payload field', async () => {
    cluster = await startCluster();
    await connected(await cluster.addWorker());
    const jobId = await submit(cluster, { type: 'math', payload: payload({ operation: 'add', a: 'one', b: 2 }) });
    const job = await waitForStatus(cluster, jobId, 'failed');
    expect(job.error).toMatch(/^PayloadError: payload\.a: /);
  });
});

describe('timeouts', () => {
  it('given a handler that ignores its signal, when the attempt runs past its timeout, then it is retried, then dead-lettered', async () => {
    const clock = new ManualClock();
    cluster = await startCluster({ clock });
    const aborted: number[] = [];
    await connected(
      await cluster.addWorker({}, {
        stuck: (_payload, ctx) => {
          ctx.signal.addEventListener('abort', () => aborted.push(ctx.attempt));
          return new Promise(() => undefined);
        },
      }),
    );
    const jobId = await submit(cluster, { type: 'stuck', timeoutMs: 150, maxRetries: 1 });
    const retrying = await waitForStatus(cluster, jobId, 'retrying');
    expect(retrying.attempts.map((a) => [a.outcome, a.error])).toEqual([['timeout', 'timed out after 150 ms']]);
    promoteAt(clock, cluster, retrying.runAtMs);
    const dead = await waitForStatus(cluster, jobId, 'dead_letter');
    expect(dead.attempts.map((a) => a.outcome)).toEqual(['timeout', 'timeout']);
    expect(dead.failures).toBe(2);
    expect(aborted).toEqual([1, 2]);
  });

  it('given attempts with different timeouts, when a later one has the earlier deadline, then each times out at its own deadline and a finished one is never aborted', async () => {
    cluster = await startCluster();
    const aborted: string[] = [];
    await connected(
      await cluster.addWorker({}, {
        stuck: (_payload, ctx) => {
          ctx.signal.addEventListener('abort', () => aborted.push(ctx.jobId));
          return new Promise(() => undefined);
        },
        quick: async () => 'done',
      }),
    );
    const slow = await submit(cluster, { type: 'stuck', timeoutMs: 3000, maxRetries: 0 });
    await waitForStatus(cluster, slow, 'running');
    const fast = await submit(cluster, { type: 'stuck', timeoutMs: 150, maxRetries: 0 });
    const quick = await submit(cluster, { type: 'quick', timeoutMs: 100, maxRetries: 0 });
    expect((await waitForStatus(cluster, quick, 'completed')).result.toString()).toBe('"done"');
    const fastJob = await waitForStatus(cluster, fast, 'dead_letter');
    expect(fastJob.attempts.map((a) => [a.outcome, a.error])).toEqual([['timeout', 'timed out after 150 ms']]);
    // The first job's deadline is still ahead: it runs on.
    expect((await getJob(cluster, slow)).state).toBe('running');
    const slowJob = await waitForStatus(cluster, slow, 'dead_letter');
    expect(slowJob.attempts.map((a) => [a.outcome, a.error])).toEqual([['timeout', 'timed out after 3000 ms']]);
    expect(Number(slowJob.finishedAtMs) - Number(slowJob.attempts[0].startedAtMs)).toBeGreaterThanOrEqual(3000);
    expect(aborted).toEqual([fast, slow]);
  });

  it('given a master --default-timeout, when a job names no timeout, then that default applies to its attempts', async () => {
    cluster = await startCluster({ master: { 'default-timeout': '150ms' } });
    await connected(await cluster.addWorker({}, { stuck: () => new Promise(() => undefined) }));
    const jobId = await submit(cluster, { type: 'stuck', maxRetries: 0 });
    const job = await waitForStatus(cluster, jobId, 'dead_letter');
    expect(Number(job.timeoutMs)).toBe(150);
    expect(job.attempts.map((a) => [a.outcome, a.error])).toEqual([['timeout', 'timed out after 150 ms']]);
  });

  it('given a worker that never reports, when the timeout plus grace passes on the master, then the master ends the attempt and tells the worker to abort', async () => {
    const clock = new ManualClock();
    cluster = await startCluster({ clock });
    hand = await HandWorker.connect(cluster.address, { workerId: 'mute' });
    const jobId = await submit(cluster, { type: 'echo', timeoutMs: 1000, maxRetries: 3 });
    const a = await hand.assignment();
    // Past timeout (1 s) + grace (2 s) but well within the heartbeat timeout (10 s).
    clock.advance(3001);
    const job = await waitForStatus(cluster, jobId, 'retrying');
    expect(job.attempts.map((x) => x.outcome)).toEqual(['timeout']);
    const cancel = await hand.next('cancel');
    expect(cancel).toEqual({ leases: [{ jobId, attempt: a.attempt }], reason: 'timeout' });
    hand.result(jobId, a.attempt, 'too late');
    expect((await hand.ack(jobId, a.attempt)).accepted).toBe(false);
    expect(await getJob(cluster, jobId)).toEqual(job);
  });
});
