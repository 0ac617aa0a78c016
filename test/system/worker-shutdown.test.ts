/**
 * System test: a worker process stopped with SIGTERM while it runs a job. Within its grace period
 * it finishes the job; past it, it gives the job back so that another worker runs it. Either way
 * it exits with code 0 and no job is lost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tempDir, waitFor, json } from '../helpers/cluster.js';
import { killAll, spawnMaster, spawnWorker, waitForWorkers, type MasterProcess } from '../helpers/process.js';
import { MasterClient } from '../../src/rpc/client.js';
import { JobStatus, type Job } from '../../src/rpc/generated/nucleus/v1/jobs.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  await killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startMaster(): Promise<{ master: MasterProcess; client: MasterClient }> {
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  const master = await spawnMaster({ db: join(dir.path, 'nucleus.db'), args: ['--heartbeat-interval', '300ms', '--heartbeat-timeout', '2s'] });
  const client = new MasterClient({ address: master.address, timeoutMs: 5_000 });
  cleanups.push(() => client.close());
  return { master, client };
}

async function jobOf(client: MasterClient, jobId: string): Promise<Job> {
  return (await client.call('getJobStatus', { jobId })).job!;
}

describe('system: a worker stopped with SIGTERM', () => {
  it('given a job shorter than the grace period, when the worker gets SIGTERM mid-job, then it finishes the job and exits 0', async () => {
    // Given one worker with a 10 s grace period running a 1.5 s job.
    const { master, client } = await startMaster();
    const first = spawnWorker({ id: 'w1', master: master.address, args: ['--concurrency', '1', '--grace', '10s'] });
    await waitForWorkers(client, ['w1']);
    const { jobId } = await client.call('submitJob', { job: { type: 'sleep', payload: json({ duration: 1.5 }) } });
    await waitFor(async () => (await jobOf(client, jobId)).status === JobStatus.JOB_STATUS_RUNNING, 'the job to run on w1');
    // A second worker stands by: if w1 gave the job back, w2 would run it, and the test would see it.
    spawnWorker({ id: 'w2', master: master.address, args: ['--concurrency', '1'] });
    await waitForWorkers(client, ['w2']);

    // When w1 is asked to stop.
    first.kill('SIGTERM');

    // Then it finishes its job, and exits 0 once it has.
    const exit = await first.waitForExit(12_000);
    expect(exit).toEqual({ code: 0, signal: null });
    const job = await waitFor(async () => {
      const j = await jobOf(client, jobId);
      return j.status === JobStatus.JOB_STATUS_COMPLETED ? j : null;
    }, 'the job to be completed', 5_000);
    expect(job.attempts.map((a) => [a.workerId, a.outcome])).toEqual([['w1', 'completed']]);
    expect(job.failures).toBe(0);
  });

  it('given a job longer than the grace period, when the worker gets SIGTERM mid-job, then it gives the job back, exits 0, and another worker completes it', async () => {
    // Given w1 with a 300 ms grace period running a 10 s job (long enough that w2's start-up on a
    // loaded machine cannot outlast it), and w2 standing by.
    const { master, client } = await startMaster();
    const first = spawnWorker({ id: 'w1', master: master.address, args: ['--concurrency', '1', '--grace', '300ms'] });
    await waitForWorkers(client, ['w1']);
    const { jobId } = await client.call('submitJob', { job: { type: 'sleep', payload: json({ duration: 10 }), maxRetries: 0 } });
    await waitFor(async () => (await jobOf(client, jobId)).status === JobStatus.JOB_STATUS_RUNNING, 'the job to run on w1');
    spawnWorker({ id: 'w2', master: master.address, args: ['--concurrency', '1'] });
    await waitForWorkers(client, ['w2']);

    // When w1 is asked to stop.
    const stoppedAt = Date.now();
    first.kill('SIGTERM');

    // Then it exits 0 well before the job could have ended.
    const exit = await first.waitForExit(10_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - stoppedAt).toBeLessThan(3_000);

    // And w2 runs the job to completion; giving a job back does not count as a failure (even with no retries allowed).
    const job = await waitFor(async () => {
      const j = await jobOf(client, jobId);
      return j.status === JobStatus.JOB_STATUS_COMPLETED ? j : null;
    }, 'the job to be completed by w2', 30_000, 50);
    expect(job.attempts.map((a) => [a.workerId, a.outcome])).toEqual([
      ['w1', 'returned'],
      ['w2', 'completed'],
    ]);
    expect(job.failures).toBe(0);
  });
});
