/**
 * Cancel: of waiting jobs (queued, scheduled, retrying) and of running ones (the handler's signal
 * is aborted; whatever the worker reports later is refused). Finished jobs cannot be cancelled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { HandWorker } from './hand-worker.js';
import { connected, gate, getJob, payload, submit, waitForStatus } from './jobs.js';
import { ManualClock } from '../../src/core/clock.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';

let cluster: TestCluster | null = null;
let hand: HandWorker | null = null;
afterEach(async () => {
  hand?.close();
  hand = null;
  await cluster?.close();
  cluster = null;
});

const count = async (c: TestCluster, status: JobStatus): Promise<number> =>
  (await c.client.call('getStats', {})).counts.find((x) => x.status === status)?.count ?? 0;

describe('cancel a waiting job', () => {
  it('given a queued job, when cancelled, then it is cancelled, counted, and never runs when a worker arrives', async () => {
    cluster = await startCluster();
    const jobId = await submit(cluster, { type: 'echo', payload: payload(1) });
    const { job } = await cluster.client.call('cancelJob', { jobId });
    expect(job!.status).toBe(JobStatus.JOB_STATUS_CANCELLED);
    expect(job!.finishedAtMs).toBeGreaterThan(0);
    expect(await count(cluster, JobStatus.JOB_STATUS_QUEUED)).toBe(0);
    expect(await count(cluster, JobStatus.JOB_STATUS_CANCELLED)).toBe(1);

    const ran: string[] = [];
    await connected(await cluster.addWorker({}, { echo: (v, ctx) => (ran.push(ctx.jobId), v) }));
    const sentinel = await submit(cluster, { type: 'echo', payload: payload(2) });
    await waitForStatus(cluster, sentinel, 'completed');
    expect(ran).toEqual([sentinel]);
    expect((await getJob(cluster, jobId)).attempts).toEqual([]);
  });

  it('given a scheduled job, when cancelled, then it stays cancelled when its time comes', async () => {
    const clock = new ManualClock();
    cluster = await startCluster({ clock });
    const jobId = await submit(cluster, { type: 'echo', delayMs: 60_000 });
    expect((await getJob(cluster, jobId)).state).toBe('scheduled');
    await cluster.client.call('cancelJob', { jobId });
    clock.advance(120_000);
    cluster.running.master.scheduler.promoteDue();
    expect((await getJob(cluster, jobId)).state).toBe('cancelled');
    expect(await count(cluster, JobStatus.JOB_STATUS_SCHEDULED)).toBe(0);
  });

  it('given a retrying job, when cancelled, then it is cancelled and not retried', async () => {
    const clock = new ManualClock();
    cluster = await startCluster({ clock });
    let runs = 0;
    await connected(await cluster.addWorker({}, { fail: () => Promise.reject(new Error(`run ${++runs}`)) }));
    const jobId = await submit(cluster, { type: 'fail' });
    const retrying = await waitForStatus(cluster, jobId, 'retrying');
    await cluster.client.call('cancelJob', { jobId });
    clock.set(retrying.runAtMs + 1);
    cluster.running.master.scheduler.promoteDue();
    const job = await getJob(cluster, jobId);
    expect(job.state).toBe('cancelled');
    expect(job.attempts.map((a) => a.outcome)).toEqual(['error']);
    expect(runs).toBe(1);
  });
});

describe('cancel a running job', () => {
  it('given a running job, when cancelled, then the handler sees its signal aborted and the job stays cancelled', async () => {
    cluster = await startCluster();
    const held = gate();
    const worker = await cluster.addWorker({}, { hold: held.handler });
    const jobId = await submit(cluster, { type: 'hold', payload: payload(1) });
    await waitFor(() => held.started.includes(jobId), 'the handler to start');
    const { job } = await cluster.client.call('cancelJob', { jobId });
    expect(job!.status).toBe(JobStatus.JOB_STATUS_CANCELLED);
    await waitFor(() => held.aborted.includes(jobId), 'the handler signal to be aborted');
    // The worker's report of the aborted attempt is refused by the lease fence; its slot frees up.
    await waitFor(() => worker.busy === 0, 'the worker to let go of the attempt');
    const after = await getJob(cluster, jobId);
    expect(after.state).toBe('cancelled');
    expect(after.attempts.map((a) => a.outcome)).toEqual(['cancelled']);
    held.release();
    const next = await submit(cluster, { type: 'echo', payload: payload(2) });
    await waitForStatus(cluster, next, 'completed');
    expect(await getJob(cluster, jobId)).toEqual(after);
  });

  it('given a running job, when cancelled, then the worker gets Cancel and a late success changes nothing', async () => {
    cluster = await startCluster();
    hand = await HandWorker.connect(cluster.address, { workerId: 'hand' });
    const jobId = await submit(cluster, { type: 'echo', payload: payload(1) });
    const a = await hand.assignment();
    await cluster.client.call('cancelJob', { jobId });
    expect(await hand.next('cancel')).toEqual({ leases: [{ jobId, attempt: a.attempt }], reason: 'cancelled' });
    const cancelled = await getJob(cluster, jobId);
    hand.result(jobId, a.attempt, 'finished anyway');
    expect((await hand.ack(jobId, a.attempt)).accepted).toBe(false);
    expect(await getJob(cluster, jobId)).toEqual(cancelled);
    expect(cancelled.result).toHaveLength(0);
    // The slot is free again: the next job goes to the same worker.
    const next = await submit(cluster, { type: 'echo', payload: payload(2) });
    expect((await hand.assignment()).jobId).toBe(next);
  });
});

describe('cancel refused', () => {
  it('given a completed job, when cancelled, then FAILED_PRECONDITION and nothing changes', async () => {
    cluster = await startCluster();
    await connected(await cluster.addWorker());
    const jobId = await submit(cluster, { type: 'echo', payload: payload(1) });
    const done = await waitForStatus(cluster, jobId, 'completed');
    await expect(cluster.client.call('cancelJob', { jobId })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringContaining('already completed'),
    });
    expect(await getJob(cluster, jobId)).toEqual(done);
  });

  it('given a cancelled job, when cancelled again, then FAILED_PRECONDITION', async () => {
    cluster = await startCluster();
    const jobId = await submit(cluster, { type: 'echo' });
    await cluster.client.call('cancelJob', { jobId });
    await expect(cluster.client.call('cancelJob', { jobId })).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });

  it('given an unknown or malformed id, when cancelled, then NOT_FOUND or INVALID_ARGUMENT naming job_id', async () => {
    cluster = await startCluster();
    await expect(cluster.client.call('cancelJob', { jobId: '424242' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(cluster.client.call('cancelJob', { jobId: 'abc' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/^job_id: /),
    });
  });
});
