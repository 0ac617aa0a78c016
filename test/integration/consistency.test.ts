/**
 * A busy mix of outcomes on several workers (successes, retries, fatal errors, dead letters,
 * cancels while queued and while running): every job ends in the state its story calls for, and
 * the master's in-memory counts agree with the store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { connected, payload } from './jobs.js';
import { statusFromProto } from '../../src/rpc/convert.js';
import { NonRetryableError, type Handler } from '../../src/handlers/handler.js';
import type { Job } from '../../src/rpc/generated/nucleus/v1/jobs.js';

let cluster: TestCluster | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

async function allJobs(c: TestCluster): Promise<Job[]> {
  const jobs: Job[] = [];
  let pageToken = '';
  do {
    const page = await c.client.call('listJobs', { limit: 1000, pageToken });
    jobs.push(...page.jobs);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return jobs;
}

describe('consistency under a mix of outcomes', () => {
  it('given 300 jobs with every kind of ending on three workers, when all are done, then each ends as expected and counts match the store', async () => {
    cluster = await startCluster();
    // Payload i decides the story: 0 fatal, 1 fails once then succeeds, 2 always fails, 3 slow (cancelled while running), else ok.
    const mixed: Handler = async (value, ctx) => {
      const i = value as number;
      if (i % 10 === 0) throw new NonRetryableError(`fatal ${i}`);
      if (i % 10 === 1 && ctx.attempt === 1) throw new Error(`flaky ${i}`);
      if (i % 10 === 2) throw new Error(`always ${i}`);
      if (i % 10 === 3) await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
      return i;
    };
    for (const id of ['c1', 'c2', 'c3']) await connected(await cluster.addWorker({ id, concurrency: 20 }, { mixed }));
    const { results } = await cluster.client.call('submitJobs', {
      jobs: Array.from({ length: 300 }, (_, i) => ({ type: 'mixed', payload: payload(i), maxRetries: 2, backoffBaseMs: 1, backoffCapMs: 5 })),
    });
    const ids = results.map((r) => r.jobId);
    // Slow ones: cancel each once it runs.
    const slow = ids.filter((_, i) => i % 10 === 3);
    for (const jobId of slow) {
      await waitFor(async () => {
        const { job } = await cluster!.client.call('getJobStatus', { jobId });
        return statusFromProto(job!.status) === 'running';
      }, `job ${jobId} to run`);
      await cluster.client.call('cancelJob', { jobId });
    }
    const jobs = await waitFor(async () => {
      const all = await allJobs(cluster!);
      return all.every((j) => ['completed', 'failed', 'dead_letter', 'cancelled'].includes(statusFromProto(j.status))) ? all : null;
    }, 'every job to finish', 20_000);

    const expected = (i: number) => (i % 10 === 0 ? 'failed' : i % 10 === 2 ? 'dead_letter' : i % 10 === 3 ? 'cancelled' : 'completed');
    const wrong = jobs.filter((j, i) => statusFromProto(j.status) !== expected(i)).map((j) => `${j.id}:${statusFromProto(j.status)}`);
    expect(wrong).toEqual([]);
    const byId = new Map(jobs.map((j) => [j.id, j]));
    expect(byId.get(ids[1])!.attempt).toBe(2);
    expect(byId.get(ids[2])!.attempt).toBe(3);
    expect(byId.get(ids[0])!.attempt).toBe(1);

    const stats = await cluster.client.call('getStats', {});
    const fromStore = new Map<number, number>();
    for (const j of jobs) fromStore.set(j.status, (fromStore.get(j.status) ?? 0) + 1);
    for (const c of stats.counts) expect([statusFromProto(c.status), c.count]).toEqual([statusFromProto(c.status), fromStore.get(c.status) ?? 0]);
    expect(stats.workers.every((w) => w.busy === 0)).toBe(true);
    expect([stats.submittedTotal, stats.finishedTotal]).toEqual([300, 300]);
  });
});
