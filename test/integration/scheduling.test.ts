/**
 * Time-driven behaviour: delayed jobs wait as scheduled and are promoted when due; finished jobs
 * are pruned once past retention. A fake clock makes "when due" exact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { connected, getJob, payload, submit, waitForStatus } from './jobs.js';
import { ManualClock } from '../../src/core/clock.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';

let cluster: TestCluster | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

describe('delayed jobs', () => {
  it('given a job with a delay, when submitted, then it is scheduled until its run-at and then runs', async () => {
    const clock = new ManualClock();
    cluster = await startCluster({ clock });
    await connected(await cluster.addWorker());
    const submittedAt = clock.now();
    const { jobId, status } = await cluster.client.call('submitJob', { job: { type: 'echo', payload: payload('later'), delayMs: 60_000 } });
    expect(status).toBe(JobStatus.JOB_STATUS_SCHEDULED);
    expect((await getJob(cluster, jobId)).runAtMs).toBe(submittedAt + 60_000);

    clock.set(submittedAt + 59_999);
    cluster.running.master.scheduler.promoteDue();
    expect((await getJob(cluster, jobId)).state).toBe('scheduled');

    clock.set(submittedAt + 60_000);
    cluster.running.master.scheduler.promoteDue();
    const done = await waitForStatus(cluster, jobId, 'completed');
    expect(done.attempts[0].startedAtMs).toBe(submittedAt + 60_000);
  });

  it('given a job with an absolute run-at, when that time comes, then it runs; run-at wins over a delay', async () => {
    const clock = new ManualClock();
    cluster = await startCluster({ clock });
    await connected(await cluster.addWorker());
    const at = clock.now() + 3_600_000;
    const jobId = await submit(cluster, { type: 'echo', runAtMs: at, delayMs: 5 });
    expect((await getJob(cluster, jobId)).runAtMs).toBe(at);
    clock.set(at - 1);
    cluster.running.master.scheduler.promoteDue();
    expect((await getJob(cluster, jobId)).state).toBe('scheduled');
    clock.set(at);
    cluster.running.master.scheduler.promoteDue();
    await waitForStatus(cluster, jobId, 'completed');
  });

  it('given a real clock and a short delay, when submitted, then the master promotes it on its own, not before its time', async () => {
    cluster = await startCluster();
    await connected(await cluster.addWorker());
    const jobId = await submit(cluster, { type: 'echo', delayMs: 300 });
    const done = await waitForStatus(cluster, jobId, 'completed', 5000);
    // Run-at is set when the request is validated, a moment before the commit stamps created-at.
    expect(done.runAtMs - done.createdAtMs).toBeLessThanOrEqual(300);
    expect(done.attempts[0].startedAtMs).toBeGreaterThanOrEqual(done.runAtMs);
    expect(done.attempts[0].startedAtMs - done.runAtMs).toBeLessThan(1000);
  });

  it('given delayed jobs of different run-ats, when a later one was submitted first, then each runs at its own time', async () => {
    cluster = await startCluster();
    await connected(await cluster.addWorker());
    const late = await submit(cluster, { type: 'echo', delayMs: 1000 });
    const early = await submit(cluster, { type: 'echo', delayMs: 200 });
    const first = await waitForStatus(cluster, early, 'completed', 5000);
    expect((await getJob(cluster, late)).state).toBe('scheduled');
    const second = await waitForStatus(cluster, late, 'completed', 5000);
    expect(second.attempts[0].startedAtMs).toBeGreaterThanOrEqual(second.runAtMs);
    expect(first.attempts[0].startedAtMs).toBeGreaterThanOrEqual(first.runAtMs);
    expect(first.attempts[0].startedAtMs).toBeLessThan(second.attempts[0].startedAtMs);
  });

  it('given a scheduled job, when the master restarts, then it is still scheduled and runs when due', async () => {
    const clock = new ManualClock();
    cluster = await startCluster({ clock });
    const jobId = await submit(cluster, { type: 'echo', delayMs: 10_000 });
    await cluster.restartMaster();
    expect((await getJob(cluster, jobId)).state).toBe('scheduled');
    await connected(await cluster.addWorker());
    clock.advance(10_000);
    cluster.running.master.scheduler.promoteDue();
    await waitForStatus(cluster, jobId, 'completed');
  });
});

describe('retention', () => {
  it('given finished jobs, when they pass the retention, then they are pruned and counts drop; unfinished ones stay', async () => {
    const clock = new ManualClock();
    cluster = await startCluster({ clock, master: { retention: '1h' } });
    await connected(await cluster.addWorker());
    const done = await submit(cluster, { type: 'echo', payload: payload(1) });
    await waitForStatus(cluster, done, 'completed');
    const cancelled = await submit(cluster, { type: 'echo', queue: 'nobody', payload: payload(2) });
    await cluster.client.call('cancelJob', { jobId: cancelled });
    const waiting = await submit(cluster, { type: 'echo', queue: 'nobody', payload: payload(3) });

    clock.advance(3_600_000 - 1);
    cluster.running.master.pruneNow();
    expect((await getJob(cluster, done)).state).toBe('completed');

    clock.advance(2);
    cluster.running.master.pruneNow();
    await expect(getJob(cluster, done)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(getJob(cluster, cancelled)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await getJob(cluster, waiting)).state).toBe('queued');
    const stats = await cluster.client.call('getStats', {});
    const count = (s: JobStatus) => stats.counts.find((c) => c.status === s)?.count ?? 0;
    expect(count(JobStatus.JOB_STATUS_COMPLETED)).toBe(0);
    expect(count(JobStatus.JOB_STATUS_CANCELLED)).toBe(0);
    expect(count(JobStatus.JOB_STATUS_QUEUED)).toBe(1);
    const { jobs } = await cluster.client.call('listJobs', {});
    expect(jobs.map((j) => j.id)).toEqual([waiting]);
  });

  it('given retention 0, when time passes, then nothing is ever pruned', async () => {
    const clock = new ManualClock();
    cluster = await startCluster({ clock, master: { retention: '0' } });
    const jobId = await submit(cluster, { type: 'echo' });
    await cluster.client.call('cancelJob', { jobId });
    clock.advance(365 * 86_400_000);
    cluster.running.master.pruneNow();
    expect((await getJob(cluster, jobId)).state).toBe('cancelled');
  });
});
