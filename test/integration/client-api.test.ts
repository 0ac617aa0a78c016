/**
 * The JobService as a client sees it: idempotency keys, batches, listing with filters and page
 * tokens, re-drive, and bad input refused with the field named and nothing written.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { connected, getJob, payload, submit, waitForStatus } from './jobs.js';
import { ManualClock } from '../../src/core/clock.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';
import { NonRetryableError } from '../../src/handlers/handler.js';

let cluster: TestCluster | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

async function totalJobs(c: TestCluster): Promise<number> {
  const stats = await c.client.call('getStats', {});
  return stats.counts.reduce((n, x) => n + x.count, 0);
}

describe('idempotency keys', () => {
  it('given a job with a key, when the same key is submitted again, then the first id comes back with duplicate=true and nothing new is written', async () => {
    cluster = await startCluster();
    const first = await cluster.client.call('submitJob', { job: { type: 'echo', idempotencyKey: 'order-17', payload: payload(1) } });
    const again = await cluster.client.call('submitJob', { job: { type: 'echo', idempotencyKey: 'order-17', payload: payload(2) } });
    expect(first.duplicate).toBe(false);
    expect(again).toMatchObject({ jobId: first.jobId, status: first.status, duplicate: true });
    const other = await cluster.client.call('submitJob', { job: { type: 'echo', idempotencyKey: 'order-18' } });
    expect(other.jobId).not.toBe(first.jobId);
    expect(await totalJobs(cluster)).toBe(2);
    expect(Buffer.from((await getJob(cluster, first.jobId)).payload).toString()).toBe('1');
  });

  it('given many clients racing with the same key, when they submit at once, then one job is created and all get its id', async () => {
    cluster = await startCluster();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => cluster!.client.call('submitJob', { job: { type: 'echo', idempotencyKey: 'race', payload: payload(i) } })),
    );
    expect(new Set(answers.map((a) => a.jobId)).size).toBe(1);
    expect(answers.filter((a) => !a.duplicate)).toHaveLength(1);
    expect(await totalJobs(cluster)).toBe(1);
  });

  it('given a finished job with a key, when the key comes back after the idempotency window, then a new job is created', async () => {
    const clock = new ManualClock();
    cluster = await startCluster({ clock, master: { 'idempotency-window': '1m' } });
    const first = await submit(cluster, { type: 'echo', idempotencyKey: 'k' });
    await cluster.client.call('cancelJob', { jobId: first });
    clock.advance(59_999);
    expect((await cluster.client.call('submitJob', { job: { type: 'echo', idempotencyKey: 'k' } })).jobId).toBe(first);
    clock.advance(1);
    const second = await cluster.client.call('submitJob', { job: { type: 'echo', idempotencyKey: 'k' } });
    expect(second.duplicate).toBe(false);
    expect(second.jobId).not.toBe(first);
  });
});

describe('SubmitJobs', () => {
  it('given a batch, when submitted, then every job is committed with its own id, in order', async () => {
    cluster = await startCluster();
    const { results } = await cluster.client.call('submitJobs', {
      jobs: Array.from({ length: 250 }, (_, i) => ({ type: 'echo', queue: i % 2 ? 'odd' : 'even', payload: payload(i) })),
    });
    const ids = results.map((r) => Number(r.jobId));
    expect(ids).toHaveLength(250);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(250);
    expect(results.every((r) => r.status === JobStatus.JOB_STATUS_QUEUED && !r.duplicate)).toBe(true);
    expect(await totalJobs(cluster)).toBe(250);
    expect(Buffer.from((await getJob(cluster, String(ids[7]))).payload).toString()).toBe('7');
  });

  it('given a batch with one bad job, when submitted, then INVALID_ARGUMENT names that job and field, and none is written', async () => {
    cluster = await startCluster();
    const jobs = Array.from({ length: 5 }, (_, i) => ({ type: 'echo', priority: i === 3 ? 42 : 1 }));
    await expect(cluster.client.call('submitJobs', { jobs })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/^jobs\[3\]\.priority: must be an integer from 0 to 10 \(got 42\)/),
    });
    expect(await totalJobs(cluster)).toBe(0);
  });

  it('given an empty batch, when submitted, then INVALID_ARGUMENT naming jobs', async () => {
    cluster = await startCluster();
    await expect(cluster.client.call('submitJobs', { jobs: [] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^jobs: /) });
  });
});

describe('validation over gRPC', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an empty type', { type: '' }, /^job\.type: must not be empty/],
    ['a priority of 11', { type: 'echo', priority: 11 }, /^job\.priority: .*0 to 10.*got 11/],
    ['a negative priority', { type: 'echo', priority: -3 }, /^job\.priority: .*got -3/],
    ['a negative timeout', { type: 'echo', timeoutMs: -1 }, /^job\.timeout_ms: .*got -1/],
    ['a negative delay', { type: 'echo', delayMs: -10 }, /^job\.delay_ms: .*got -10/],
    ['too many retries', { type: 'echo', maxRetries: 1000 }, /^job\.max_retries: .*0 to 100/],
    ['a queue name with a slash', { type: 'echo', queue: 'a/b' }, /^job\.queue: /],
    ['an idempotency key of 300 characters', { type: 'echo', idempotencyKey: 'x'.repeat(300) }, /^job\.idempotency_key: must be at most 256/],
  ])('given %s, when submitted, then INVALID_ARGUMENT naming the field, and nothing is written', async (_what, job, message) => {
    cluster ??= await startCluster();
    await expect(cluster.client.call('submitJob', { job })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) });
    expect(await totalJobs(cluster)).toBe(0);
    expect((await cluster.client.call('getStats', {})).submittedTotal).toBe(0);
  });

  it('given a payload over --max-payload, when submitted, then RESOURCE_EXHAUSTED naming the limit; at the limit it is accepted', async () => {
    cluster = await startCluster({ master: { 'max-payload': '1KiB' } });
    await expect(cluster.client.call('submitJob', { job: { type: 'echo', payload: Buffer.alloc(2048, 0x61) } })).rejects.toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      message: expect.stringMatching(/job\.payload: 2048 bytes is over the limit of 1024 bytes \(--max-payload\)/),
    });
    expect(await totalJobs(cluster)).toBe(0);
    const ok = await cluster.client.call('submitJob', { job: { type: 'echo', payload: Buffer.alloc(1024, 0x61) } });
    expect(ok.jobId).not.toBe('');
  });

  it('given malformed or unknown ids, when a job is looked up, then INVALID_ARGUMENT naming job_id, or NOT_FOUND', async () => {
    cluster = await startCluster();
    for (const jobId of ['', '0', '-4', 'x1', '1.0']) {
      await expect(cluster.client.call('getJobStatus', { jobId })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^job_id: /) });
    }
    await expect(cluster.client.call('getJobStatus', { jobId: '99' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'job 99 not found' });
    await expect(cluster.client.call('getJobResult', { jobId: '99' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('ListJobs', () => {
  it('given jobs in several queues, types and statuses, when listed with filters, then exactly the matching jobs come back', async () => {
    cluster = await startCluster();
    const ids: Record<string, string[]> = { a: [], b: [] };
    for (let i = 0; i < 6; i++) ids[i % 2 ? 'b' : 'a'].push(await submit(cluster, { type: i < 3 ? 't1' : 't2', queue: i % 2 ? 'b' : 'a' }));
    await cluster.client.call('cancelJob', { jobId: ids.a[0] });
    const list = async (req: Record<string, unknown>) => (await cluster!.client.call('listJobs', req)).jobs.map((j) => j.id);
    expect(await list({ queue: 'b' })).toEqual(ids.b);
    expect(await list({ type: 't1' })).toEqual([ids.a[0], ids.b[0], ids.a[1]]);
    expect(await list({ statuses: [JobStatus.JOB_STATUS_CANCELLED] })).toEqual([ids.a[0]]);
    expect(await list({ statuses: [JobStatus.JOB_STATUS_QUEUED], queue: 'a' })).toEqual(ids.a.slice(1));
    expect(await list({ newestFirst: true, limit: 2 })).toEqual([ids.b[2], ids.a[2]]);
    const listed = (await cluster.client.call('listJobs', { queue: 'a' })).jobs[1];
    expect(listed.payload).toHaveLength(0);
  });

  it('given bad list arguments, then INVALID_ARGUMENT naming limit, page_token or statuses', async () => {
    cluster = await startCluster();
    await expect(cluster.client.call('listJobs', { limit: 1001 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^limit: .*1 to 1000/) });
    await expect(cluster.client.call('listJobs', { pageToken: 'garbage' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^page_token: /) });
    await expect(cluster.client.call('listJobs', { statuses: [99 as JobStatus] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^statuses\[0\]: /) });
  });

  it('given a page walk while other jobs are being submitted, when every page is followed, then every job is seen exactly once', async () => {
    cluster = await startCluster();
    const { results } = await cluster.client.call('submitJobs', { jobs: Array.from({ length: 120 }, () => ({ type: 'echo' })) });
    const initial = results.map((r) => r.jobId);
    const added: string[] = [];
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await cluster.client.call('listJobs', { limit: 17, pageToken });
      seen.push(...page.jobs.map((j) => j.id));
      pageToken = page.nextPageToken;
      pages++;
      // New jobs arrive between pages.
      if (pages <= 5) added.push(...(await cluster.client.call('submitJobs', { jobs: [{ type: 'echo' }, { type: 'echo' }, { type: 'echo' }] })).results.map((r) => r.jobId));
    } while (pageToken);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...initial, ...added]);
    // 135 jobs in pages of 17: seven full pages and a last one of 16.
    expect(pages).toBe(8);
  });

  it('given a newest-first page walk, when followed, then pages go back in time without repeats', async () => {
    cluster = await startCluster();
    const { results } = await cluster.client.call('submitJobs', { jobs: Array.from({ length: 10 }, () => ({ type: 'echo' })) });
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await cluster.client.call('listJobs', { limit: 4, pageToken, newestFirst: true });
      seen.push(...page.jobs.map((j) => j.id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual(results.map((r) => r.jobId).reverse());
  });
});

describe('RetryJob (re-drive)', () => {
  it('given a failed job, when retried, then it runs again with failures reset and its history kept', async () => {
    cluster = await startCluster();
    let runs = 0;
    await connected(
      await cluster.addWorker({}, {
        picky: () => {
          if (++runs === 1) throw new NonRetryableError('not yet');
          return 'now';
        },
      }),
    );
    const jobId = await submit(cluster, { type: 'picky' });
    await waitForStatus(cluster, jobId, 'failed');
    const { jobIds } = await cluster.client.call('retryJob', { jobId });
    expect(jobIds).toEqual([jobId]);
    const done = await waitForStatus(cluster, jobId, 'completed');
    expect(done.failures).toBe(0);
    expect(done.error).toBe('');
    expect(done.attempts.map((a) => [a.number, a.outcome])).toEqual([
      [1, 'fatal'],
      [2, 'completed'],
    ]);
  });

  it('given jobs in several terminal states and queues, when retried by status and queue, then only those are re-driven', async () => {
    cluster = await startCluster();
    const ids: string[] = [];
    for (const queue of ['q1', 'q1', 'q2']) {
      const id = await submit(cluster, { type: 'echo', queue });
      await cluster.client.call('cancelJob', { jobId: id });
      ids.push(id);
    }
    const { jobIds } = await cluster.client.call('retryJob', { status: JobStatus.JOB_STATUS_CANCELLED, queue: 'q1' });
    expect(jobIds).toEqual(ids.slice(0, 2));
    expect((await getJob(cluster, ids[0])).state).toBe('queued');
    expect((await getJob(cluster, ids[2])).state).toBe('cancelled');
    const all = await cluster.client.call('retryJob', { status: JobStatus.JOB_STATUS_CANCELLED });
    expect(all.jobIds).toEqual([ids[2]]);
    await connected(await cluster.addWorker({ queues: 'q1,q2' }));
    for (const id of ids) await waitForStatus(cluster, id, 'completed');
  });

  it('given a job that is not finished, when retried, then FAILED_PRECONDITION; a bad status or nothing at all, then INVALID_ARGUMENT', async () => {
    cluster = await startCluster();
    const jobId = await submit(cluster, { type: 'echo' });
    await expect(cluster.client.call('retryJob', { jobId })).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringContaining('queued') });
    await expect(cluster.client.call('retryJob', {})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^status: /) });
    await expect(cluster.client.call('retryJob', { status: JobStatus.JOB_STATUS_RUNNING })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/^status: must be failed, dead_letter or cancelled/),
    });
    expect((await getJob(cluster, jobId)).state).toBe('queued');
  });
});
