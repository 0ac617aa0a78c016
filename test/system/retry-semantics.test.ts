/**
 * System test of the retry semantics end to end: jobs that fail at random, three worker processes,
 * one of them killed with SIGKILL mid-way. Every job must end completed or dead_letter, and each
 * job's attempt history must add up: the failures it counts are exactly its attempts that ended in
 * error, timeout or lost; a completed job has exactly one completed attempt, its last; a dead-letter
 * job failed max_retries + 1 times.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tempDir, waitFor, json } from '../helpers/cluster.js';
import { killAll, spawnMaster, spawnWorker, waitForWorkers } from '../helpers/process.js';
import { MasterClient } from '../../src/rpc/client.js';
import { JobStatus, type Job } from '../../src/rpc/generated/nucleus/v1/jobs.js';

const TOTAL = 500;
const MAX_RETRIES = 5;
const FAILURE_OUTCOMES = new Set(['error', 'timeout', 'lost']);

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  await killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const count = (counts: Array<{ status: JobStatus; count: number }>, status: JobStatus) => Number(counts.find((c) => c.status === status)?.count ?? 0);

/** What is wrong with a finished job's record, or null when it adds up. */
function inconsistency(job: Job): string | null {
  const outcomes = job.attempts.map((a) => a.outcome);
  const failures = outcomes.filter((o) => FAILURE_OUTCOMES.has(o)).length;
  const completions = outcomes.filter((o) => o === 'completed').length;
  if (job.failures !== failures) return `counts ${job.failures} failures but its attempts show ${failures}`;
  if (job.attempt !== job.attempts.length) return `is at attempt ${job.attempt} but has ${job.attempts.length} attempts`;
  if (outcomes.includes('running')) return 'still has a running attempt';
  if (job.status === JobStatus.JOB_STATUS_COMPLETED) {
    if (completions !== 1 || outcomes.at(-1) !== 'completed') return 'is completed without exactly one final completed attempt';
    if (failures > MAX_RETRIES) return `completed after ${failures} failures, more than max_retries allows`;
    return null;
  }
  if (job.status === JobStatus.JOB_STATUS_DEAD_LETTER) {
    if (completions !== 0) return 'is dead_letter with a completed attempt';
    if (failures !== MAX_RETRIES + 1) return `is dead_letter after ${failures} failures, not ${MAX_RETRIES + 1}`;
    return null;
  }
  return `ended ${JobStatus[job.status]}`;
}

describe('system: retries, backoff and dead letters with a worker killed mid-way', () => {
  it(`given ${TOTAL} jobs failing 30% of the time with ${MAX_RETRIES} retries on three workers, when one worker is SIGKILLed mid-way, then every job ends completed or dead_letter and its attempts add up`, async () => {
    // Given a master with short heartbeats and three worker processes.
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const master = await spawnMaster({ db: join(dir.path, 'nucleus.db'), args: ['--heartbeat-interval', '300ms', '--heartbeat-timeout', '2s'] });
    const client = new MasterClient({ address: master.address, timeoutMs: 10_000 });
    cleanups.push(() => client.close());
    const workers = ['w1', 'w2', 'w3'].map((id) => spawnWorker({ id, master: master.address, args: ['--concurrency', '4'] }));
    await waitForWorkers(client, ['w1', 'w2', 'w3']);

    // When the jobs are submitted with a short backoff (50 ms base, 500 ms cap).
    const spec = { type: 'random_failure', payload: json({ failure_rate: 0.3 }), maxRetries: MAX_RETRIES, backoffBaseMs: 50, backoffCapMs: 500 };
    const { results } = await client.call('submitJobs', { jobs: Array.from({ length: TOTAL }, () => spec) });
    expect(results).toHaveLength(TOTAL);
    const ids = results.map((r) => r.jobId);

    // And w1 is killed once a fifth of the jobs have finished, while it holds jobs.
    await waitFor(async () => {
      const { counts, workers: seen } = await client.call('getStats', {});
      const finished = count(counts, JobStatus.JOB_STATUS_COMPLETED) + count(counts, JobStatus.JOB_STATUS_DEAD_LETTER);
      return finished >= TOTAL / 5 && (seen.find((w) => w.id === 'w1')?.runningJobIds.length ?? 0) > 0;
    }, 'a fifth of the jobs to finish while w1 holds some', 30_000, 5);
    workers[0].kill('SIGKILL');
    await workers[0].waitForExit();

    // Then every job ends completed or dead_letter.
    await waitFor(async () => {
      const { counts } = await client.call('getStats', {});
      return count(counts, JobStatus.JOB_STATUS_COMPLETED) + count(counts, JobStatus.JOB_STATUS_DEAD_LETTER) === TOTAL;
    }, 'every job to end completed or dead_letter', 40_000, 100);

    // And each job's history adds up.
    const jobs: Job[] = [];
    for (let i = 0; i < ids.length; i += 50) {
      jobs.push(...(await Promise.all(ids.slice(i, i + 50).map(async (jobId) => (await client.call('getJobStatus', { jobId })).job!))));
    }
    const wrong = jobs.map((job) => ({ id: job.id, problem: inconsistency(job), outcomes: job.attempts.map((a) => a.outcome) })).filter((j) => j.problem);
    expect(wrong).toEqual([]);

    // The run exercised what it claims to: retries happened, and the killed worker's jobs were recovered as lost.
    const outcomes = jobs.flatMap((j) => j.attempts.map((a) => a.outcome));
    expect(outcomes.filter((o) => o === 'error').length).toBeGreaterThan(TOTAL * 0.2);
    expect(outcomes).toContain('lost');
    expect(jobs.filter((j) => j.attempts.some((a) => a.outcome === 'lost')).every((j) => j.attempts.find((a) => a.outcome === 'lost')!.workerId === 'w1')).toBe(true);
    expect(workers.slice(1).map((w) => w.exit)).toEqual([null, null]);
  });
});
