/**
 * Dispatch with real workers: priority order, a worker's concurrency as a hard ceiling, queue and
 * type filtering, and paused queues.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { connected, getJob, payload, submit, waitForStatus } from './jobs.js';
import type { Handler } from '../../src/handlers/handler.js';

let cluster: TestCluster | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

/** A handler that records the order in which jobs ran, and by which worker. */
function recorder(worker: string, log: Array<{ jobId: string; worker: string }>): Handler {
  return (value, ctx) => {
    log.push({ jobId: ctx.jobId, worker });
    return value;
  };
}

describe('priority order', () => {
  it('given a paused queue with jobs of mixed priorities, when one worker of concurrency 1 runs them, then 0 runs first and ties go in order of arrival', async () => {
    cluster = await startCluster();
    await cluster.client.call('pauseQueue', { queue: 'default', paused: true });
    const priorities = [5, 0, 9, 0, 3, 10, 5, 1, 3];
    const ids: string[] = [];
    for (const priority of priorities) ids.push(await submit(cluster, { type: 'rec', priority, payload: payload(priority) }));
    const log: Array<{ jobId: string; worker: string }> = [];
    await connected(await cluster.addWorker({ concurrency: 1 }, { rec: recorder('w1', log) }));
    expect(log).toEqual([]);

    await cluster.client.call('pauseQueue', { queue: 'default', paused: false });
    await waitFor(() => log.length === ids.length, 'every job to run');
    const expected = ids
      .map((id, i) => ({ id, priority: priorities[i], arrival: i }))
      .sort((a, b) => a.priority - b.priority || a.arrival - b.arrival)
      .map((j) => j.id);
    expect(log.map((l) => l.jobId)).toEqual(expected);
  });

  it('given no worker yet, when jobs of mixed priorities wait and a worker arrives, then the same order holds', async () => {
    cluster = await startCluster();
    const { results } = await cluster.client.call('submitJobs', {
      jobs: [7, 2, 2, 0, 7].map((priority) => ({ type: 'rec', priority, payload: payload(priority) })),
    });
    const ids = results.map((r) => r.jobId);
    const log: Array<{ jobId: string; worker: string }> = [];
    await cluster.addWorker({ concurrency: 1 }, { rec: recorder('w1', log) });
    await waitFor(() => log.length === 5, 'every job to run');
    expect(log.map((l) => l.jobId)).toEqual([ids[3], ids[1], ids[2], ids[0], ids[4]]);
  });
});

describe('concurrency', () => {
  it('given many jobs, when two workers run them, then neither ever has more in flight than its concurrency, and both fill up', async () => {
    cluster = await startCluster();
    const inFlight = new Map<string, number>();
    const peak = new Map<string, number>();
    const slow =
      (worker: string): Handler =>
      async (value) => {
        const now = (inFlight.get(worker) ?? 0) + 1;
        inFlight.set(worker, now);
        peak.set(worker, Math.max(peak.get(worker) ?? 0, now));
        // Long enough that the master sees full workers and must hold the rest back.
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight.set(worker, inFlight.get(worker)! - 1);
        return value;
      };
    await connected(await cluster.addWorker({ id: 'small', concurrency: 2 }, { slow: slow('small') }));
    await connected(await cluster.addWorker({ id: 'large', concurrency: 5 }, { slow: slow('large') }));
    const busySeen: number[] = [];
    const overbooked: string[] = [];
    const { results } = await cluster.client.call('submitJobs', { jobs: Array.from({ length: 200 }, (_, i) => ({ type: 'slow', payload: payload(i) })) });
    await waitFor(async () => {
      const stats = await cluster!.client.call('getStats', {});
      for (const w of stats.workers) {
        busySeen.push(w.busy);
        if (w.busy > w.concurrency) overbooked.push(`${w.id}: ${w.busy}/${w.concurrency}`);
      }
      const done = stats.counts.find((c) => c.status === 5)?.count ?? 0;
      return done === 200;
    }, 'all 200 jobs to complete', 20_000);
    expect(peak.get('small')).toBe(2);
    expect(peak.get('large')).toBe(5);
    expect(results).toHaveLength(200);
    expect(busySeen.length).toBeGreaterThan(0);
    expect(overbooked).toEqual([]);
  });
});

describe('queues and types', () => {
  it('given workers on different queues, when jobs go to several queues, then each runs only on a worker of its queue; a queue with no worker waits', async () => {
    cluster = await startCluster();
    const log: Array<{ jobId: string; worker: string }> = [];
    await connected(await cluster.addWorker({ id: 'mailer', queues: 'mail' }, { rec: recorder('mailer', log) }));
    await connected(await cluster.addWorker({ id: 'general', queues: 'default,video' }, { rec: recorder('general', log) }));
    const jobs: Record<string, string[]> = { mail: [], video: [], default: [], orphan: [] };
    for (let i = 0; i < 4; i++) {
      for (const queue of Object.keys(jobs)) jobs[queue].push(await submit(cluster, { type: 'rec', queue, payload: payload(i) }));
    }
    await waitFor(() => log.length === 12, 'the jobs of served queues to run');
    const ranBy = new Map(log.map((l) => [l.jobId, l.worker]));
    for (const id of jobs.mail) expect(ranBy.get(id)).toBe('mailer');
    for (const id of [...jobs.video, ...jobs.default]) expect(ranBy.get(id)).toBe('general');
    for (const id of jobs.orphan) expect((await getJob(cluster, id)).state).toBe('queued');

    // A worker for the orphan queue arrives and takes them.
    await cluster.addWorker({ id: 'late', queues: 'orphan' }, { rec: recorder('late', log) });
    for (const id of jobs.orphan) await waitForStatus(cluster, id, 'completed');
    expect(log.filter((l) => l.worker === 'late').map((l) => l.jobId)).toEqual(jobs.orphan);
  });

  it('given a job type no connected worker runs, when submitted, then it waits queued while other types run', async () => {
    cluster = await startCluster();
    await connected(await cluster.addWorker({ id: 'w1' }, {}));
    const exotic = await submit(cluster, { type: 'exotic', payload: payload(1) });
    const common = await submit(cluster, { type: 'echo', payload: payload(2) });
    await waitForStatus(cluster, common, 'completed');
    expect((await getJob(cluster, exotic)).state).toBe('queued');
    await cluster.addWorker({ id: 'w2' }, { exotic: () => 'done' });
    await waitForStatus(cluster, exotic, 'completed');
  });
});

describe('pause and resume', () => {
  it('given a paused queue, when jobs are submitted, then they are accepted and wait while other queues keep running; resume runs them', async () => {
    cluster = await startCluster();
    const log: Array<{ jobId: string; worker: string }> = [];
    await connected(await cluster.addWorker({ id: 'w1', queues: 'default,other', concurrency: 2 }, { rec: recorder('w1', log) }));
    const { queue } = await cluster.client.call('pauseQueue', { queue: 'default', paused: true });
    expect(queue).toMatchObject({ name: 'default', paused: true });

    const held: string[] = [];
    for (let i = 0; i < 3; i++) held.push(await submit(cluster, { type: 'rec', payload: payload(i) }));
    // A job in another queue proves the dispatcher ran while the paused ones stayed put.
    const sentinel = await submit(cluster, { type: 'rec', queue: 'other', payload: payload('s') });
    await waitForStatus(cluster, sentinel, 'completed');
    for (const id of held) expect((await getJob(cluster, id)).state).toBe('queued');
    expect(log.map((l) => l.jobId)).toEqual([sentinel]);
    const stats = await cluster.client.call('getStats', {});
    expect(stats.queues.find((q) => q.name === 'default')).toMatchObject({ paused: true });

    const resumed = await cluster.client.call('pauseQueue', { queue: 'default', paused: false });
    expect(resumed.queue!.paused).toBe(false);
    for (const id of held) await waitForStatus(cluster, id, 'completed');
    expect(log.map((l) => l.jobId)).toEqual([sentinel, ...held]);
  });

  it('given a paused queue, when the master restarts, then the queue is still paused', async () => {
    cluster = await startCluster();
    await cluster.client.call('pauseQueue', { queue: 'mail', paused: true });
    const id = await submit(cluster, { type: 'echo', queue: 'mail', payload: payload(1) });
    await cluster.restartMaster();
    const stats = await cluster.client.call('getStats', {});
    expect(stats.queues.find((q) => q.name === 'mail')).toMatchObject({ paused: true });
    const sentinel = await submit(cluster, { type: 'echo', payload: payload(2) });
    await connected(await cluster.addWorker({ queues: 'default,mail' }));
    await waitForStatus(cluster, sentinel, 'completed');
    expect((await getJob(cluster, id)).state).toBe('queued');
  });

  it('given a bad queue name, when paused, then INVALID_ARGUMENT naming the queue field', async () => {
    cluster = await startCluster();
    await expect(cluster.client.call('pauseQueue', { queue: 'no spaces', paused: true })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/^queue: /),
    });
  });
});
