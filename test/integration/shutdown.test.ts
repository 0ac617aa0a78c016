/**
 * Orderly endings: a stopping worker finishes what it can within its grace period and gives the
 * rest back at once (no failure counted); a draining master refuses new work with UNAVAILABLE.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { connected, gate, getJob, payload, submit, waitForStatus } from './jobs.js';

let cluster: TestCluster | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

describe('a stopping worker', () => {
  it('given a job running, when the worker stops with time to spare, then the job completes and no new work reaches it while it drains', async () => {
    cluster = await startCluster();
    const held = gate();
    const worker = await cluster.addWorker({ id: 'leaving', concurrency: 2 }, { hold: held.handler });
    const first = await submit(cluster, { type: 'hold', payload: payload(1) });
    await waitFor(() => held.started.includes(first), 'the first job to start');
    const stopped = worker.stop(10_000);
    await waitFor(async () => (await cluster!.client.call('getStats', {})).workers.find((w) => w.id === 'leaving')?.draining, 'the master to see the worker draining');
    const second = await submit(cluster, { type: 'hold', payload: payload(2) });
    held.release();
    await stopped;
    const done = await waitForStatus(cluster, first, 'completed');
    expect(done.attempts.map((a) => a.outcome)).toEqual(['completed']);
    expect(held.started).toEqual([first]);
    expect((await getJob(cluster, second)).state).toBe('queued');
  });

  it('given a job still running when the grace period ends, when the worker stops, then the job is given back at once and another worker completes it', async () => {
    cluster = await startCluster();
    const stuck = gate();
    const worker = await cluster.addWorker({ id: 'impatient' }, { work: stuck.handler });
    const jobId = await submit(cluster, { type: 'work', payload: payload('x'), maxRetries: 0 });
    await waitFor(() => stuck.started.includes(jobId), 'the job to start');
    await worker.stop(50);
    expect(stuck.aborted).toEqual([jobId]);
    const returned = await waitForStatus(cluster, jobId, 'queued', 3000);
    expect(returned.failures).toBe(0);
    expect(returned.attempts.map((a) => a.outcome)).toEqual(['returned']);
    // max retries 0, yet it runs again: a returned lease is not a failure.
    await connected(await cluster.addWorker({ id: 'next' }, { work: (v) => v }));
    const done = await waitForStatus(cluster, jobId, 'completed');
    expect(done.attempts.map((a) => [a.workerId, a.outcome])).toEqual([
      ['impatient', 'returned'],
      ['next', 'completed'],
    ]);
  });
});

describe('a draining master', () => {
  it('given a draining master, when a job is submitted, then UNAVAILABLE and nothing is written', async () => {
    cluster = await startCluster();
    const before = await submit(cluster, { type: 'echo' });
    cluster.running.master.drain();
    await expect(cluster.client.call('submitJob', { job: { type: 'echo' } })).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/shutting down/) });
    await expect(cluster.client.call('cancelJob', { jobId: before })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    // Reads still work while draining.
    expect((await getJob(cluster, before)).state).toBe('queued');
    const { jobs } = await cluster.client.call('listJobs', {});
    expect(jobs.map((j) => j.id)).toEqual([before]);
  });
});

describe('waiting for a result', () => {
  it('given a job that does not finish in time, when its result is awaited with a short wait, then finished=false and the job as it is', async () => {
    cluster = await startCluster();
    const jobId = await submit(cluster, { type: 'echo' });
    const started = Date.now();
    const { job, finished } = await cluster.client.call('getJobResult', { jobId, wait: true, waitTimeoutMs: 200 });
    expect(finished).toBe(false);
    expect(job!.id).toBe(jobId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('given a job that finishes while a client waits, when it completes, then the wait returns at once with the result', async () => {
    cluster = await startCluster();
    const jobId = await submit(cluster, { type: 'echo', payload: payload({ hello: 'world' }) });
    const waiting = cluster.client.call('getJobResult', { jobId, wait: true, waitTimeoutMs: 10_000 }, 15_000);
    await connected(await cluster.addWorker());
    const { job, finished } = await waiting;
    expect(finished).toBe(true);
    expect(JSON.parse(Buffer.from(job!.result).toString())).toEqual({ hello: 'world' });
  });
});
