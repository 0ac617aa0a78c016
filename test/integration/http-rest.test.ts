/**
 * The REST gateway against a real master (SQLite in a temp dir) and real workers over loopback
 * gRPC: every route, the same validation and errors as gRPC, and the original dashboard's aliases.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor, json } from '../helpers/cluster.js';
import { api, startHttpCluster } from './http-helpers.js';
import { jobJson } from '../../src/services/job-view.js';
import type { TestCluster } from '../helpers/cluster.js';

let cluster: (TestCluster & { base: string }) | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

const call = (method: string, path: string, body?: unknown) => api(cluster!.base, method, path, body);

describe('REST jobs', () => {
  it('given a worker, when a job is POSTed and its result fetched with ?wait, then it completes and GET shows the same JSON shape as the gRPC/CLI view', async () => {
    cluster = await startHttpCluster();
    await cluster.addWorker();
    const created = await call('POST', '/v1/jobs', { type: 'echo', payload: { hello: 'world', n: [1, 2] }, priority: 2, max_retries: 1, timeout_ms: 5000 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'queued', duplicate: false });
    expect(created.headers.get('location')).toBe(`/v1/jobs/${created.body.id}`);

    const result = await call('GET', `/v1/jobs/${created.body.id}/result?wait=10s`);
    expect(result.status).toBe(200);
    expect(result.body.finished).toBe(true);
    expect(result.body.job).toMatchObject({ id: created.body.id, status: 'completed', type: 'echo', priority: 2, maxRetries: 1, timeoutMs: 5000 });
    expect(result.body.job.result).toEqual({ hello: 'world', n: [1, 2] });

    const got = await call('GET', `/v1/jobs/${created.body.id}`);
    const viaGrpc = await cluster.client.call('getJobStatus', { jobId: created.body.id });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(JSON.parse(JSON.stringify(jobJson(viaGrpc.job!))));
    expect(got.body.attempts).toHaveLength(1);
    expect(got.body.attempts[0]).toMatchObject({ workerId: 'w1', outcome: 'completed' });
  });

  it('given no worker, when a batch is POSTed as an array and as {jobs}, then every job is stored and listing pages through them with filters', async () => {
    cluster = await startHttpCluster();
    const array = await call('POST', '/v1/jobs', [
      { type: 'echo', queue: 'qa', payload: 1 },
      { type: 'noop', queue: 'qa', payload: 2 },
    ]);
    expect(array.status).toBe(201);
    expect(array.body.results).toHaveLength(2);
    const wrapped = await call('POST', '/v1/jobs', { jobs: [{ type: 'echo', queue: 'qa' }, { jobType: 'echo', queue: 'qb' }, { type: 'echo', queue: 'qa', delay_ms: 60_000 }] });
    expect(wrapped.status).toBe(201);
    expect(wrapped.body.results.map((r: { status: string }) => r.status)).toEqual(['queued', 'queued', 'scheduled']);

    const first = await call('GET', '/v1/jobs?queue=qa&limit=2');
    expect(first.status).toBe(200);
    expect(first.body.jobs.map((j: { id: string }) => j.id)).toEqual([array.body.results[0].id, array.body.results[1].id]);
    expect(first.body.nextPageToken).not.toBe('');
    const second = await call('GET', `/v1/jobs?queue=qa&limit=2&page_token=${first.body.nextPageToken}`);
    expect(second.body.jobs.map((j: { id: string }) => j.id)).toEqual([wrapped.body.results[0].id, wrapped.body.results[2].id]);

    const echoQueued = await call('GET', '/v1/jobs?type=echo&status=queued');
    expect(echoQueued.body.jobs.map((j: { queue: string }) => j.queue).sort()).toEqual(['qa', 'qa', 'qb']);
    const twoStatuses = await call('GET', '/v1/jobs?status=queued,scheduled&queue=qa&newest_first=true');
    expect(twoStatuses.body.jobs.map((j: { id: string }) => j.id)).toEqual(
      [array.body.results[0].id, array.body.results[1].id, wrapped.body.results[0].id, wrapped.body.results[2].id].reverse(),
    );
  });

  it('given jobs in several states, when they are cancelled and retried over REST, then finished jobs answer 409 and re-driven jobs run', async () => {
    cluster = await startHttpCluster();
    const later = await call('POST', '/v1/jobs', { type: 'echo', payload: 'later', run_at: new Date(Date.now() + 3_600_000).toISOString() });
    expect(later.body.status).toBe('scheduled');

    const cancelled = await call('POST', `/v1/jobs/${later.body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id: later.body.id, status: 'cancelled' });
    const again = await call('POST', `/v1/jobs/${later.body.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('FAILED_PRECONDITION');
    expect(again.body.error.message).toContain('already cancelled');

    await cluster.addWorker();
    const retried = await call('POST', `/v1/jobs/${later.body.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.jobIds).toEqual([later.body.id]);
    const done = await call('GET', `/v1/jobs/${later.body.id}/result?wait=10s`);
    expect(done.body.job).toMatchObject({ status: 'completed', result: 'later' });
    const retryCompleted = await call('POST', `/v1/jobs/${later.body.id}/retry`);
    expect(retryCompleted.status).toBe(409);
    expect(retryCompleted.body.error.message).toContain('only failed, dead_letter or cancelled');
  });

  it('given a job that will not finish soon, when its result is asked with a short wait, then the answer says unfinished', async () => {
    cluster = await startHttpCluster();
    const job = await call('POST', '/v1/jobs', { type: 'echo', delay_ms: 3_600_000 });
    const started = Date.now();
    const result = await call('GET', `/v1/jobs/${job.body.id}/result?wait=200ms`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(result.body).toMatchObject({ finished: false, job: { status: 'scheduled' } });
    const noWait = await call('GET', `/v1/jobs/${job.body.id}/result`);
    expect(noWait.body.finished).toBe(false);
  });

  it('given an idempotency key, when the same job is POSTed twice, then the second answer is 200 with the same id and duplicate true', async () => {
    cluster = await startHttpCluster();
    const one = await call('POST', '/v1/jobs', { type: 'echo', idempotency_key: 'order-17' });
    const two = await call('POST', '/v1/jobs', { type: 'echo', idempotencyKey: 'order-17' });
    expect(one.status).toBe(201);
    expect(two.status).toBe(200);
    // No worker is connected here, so the answer also warns that nothing runs `echo` yet.
    expect(two.body).toEqual({ id: one.body.id, status: 'queued', duplicate: true, warning: 'no connected worker handles `echo`; the job waits until one connects' });
  });

  it('given text and binary payloads, when they are submitted, then they keep their content type and bytes', async () => {
    cluster = await startHttpCluster();
    const text = await call('POST', '/v1/jobs', { type: 'echo', payload: 'plain words', content_type: 'text/plain' });
    const binary = await call('POST', '/v1/jobs', { type: 'echo', payload_base64: Buffer.from([0, 1, 2, 255]).toString('base64') });
    const t = await cluster.client.call('getJobStatus', { jobId: text.body.id });
    const b = await cluster.client.call('getJobStatus', { jobId: binary.body.id });
    expect(t.job!.contentType).toBe('text/plain');
    expect(Buffer.from(t.job!.payload).toString()).toBe('plain words');
    expect(b.job!.contentType).toBe('application/octet-stream');
    expect([...b.job!.payload]).toEqual([0, 1, 2, 255]);
  });
});

describe('REST errors', () => {
  it('given bad input, when it is POSTed, then the answer is 400 naming the field and nothing is stored', async () => {
    cluster = await startHttpCluster();
    const cases: Array<[unknown, string]> = [
      [{ type: 'echo', priority: 11 }, 'job.priority'],
      [{ type: 'echo', priority: 'high' }, 'job.priority'],
      [{ type: 'echo', max_retry: 3 }, 'job.max_retry'],
      [{ payload: {} }, 'job.type'],
      [{ type: 'bad type!' }, 'job.type'],
      [{ type: 'echo', run_at: 'tomorrow' }, 'job.run_at'],
      [{ type: 'echo', max_retries: 1, maxRetries: 2 }, 'job.maxRetries'],
      [{ jobs: [{ type: 'echo' }, { type: 'echo', queue: '' }] }, 'jobs[1].queue'],
      [[{ type: 'echo' }, 'not an object'], 'jobs[1]'],
      [{ jobs: 'many' }, 'jobs'],
      ['"just a string"', 'job'],
    ];
    for (const [body, field] of cases) {
      const reply = await call('POST', '/v1/jobs', body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.error.code).toBe('INVALID_ARGUMENT');
      expect(reply.body.error.message.startsWith(`${field}:`), `${reply.body.error.message} should name ${field}`).toBe(true);
    }
    const stats = await call('GET', '/v1/stats');
    expect(stats.body.submittedTotal).toBe(0);
  });

  it('given malformed JSON or an empty body, when it is POSTed, then the answer is 400 about the body', async () => {
    cluster = await startHttpCluster();
    for (const raw of ['{"type": "echo",', 'nope', '']) {
      const reply = await call('POST', '/v1/jobs', raw);
      expect(reply.status).toBe(400);
      expect(reply.body.error).toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(reply.body.error.message).toMatch(/^body: /);
    }
  });

  it('given a 1 KiB payload limit, when a larger payload or an oversized body is sent, then the answer is 413 naming the limit', async () => {
    cluster = await startHttpCluster({ 'max-payload': '1KiB' });
    const big = await call('POST', '/v1/jobs', { type: 'echo', payload: 'x'.repeat(2000) });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(big.body.error.message).toContain('job.payload');
    expect(big.body.error.message).toContain('1024 bytes');
    const huge = await call('POST', '/v1/jobs', { type: 'echo', payload: 'y'.repeat(200 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.message).toContain('request body');
    const stillServing = await call('GET', '/v1/stats');
    expect(stillServing.status).toBe(200);
    expect(stillServing.body.submittedTotal).toBe(0);
  });

  it('given unknown or malformed ids, when any job route is called, then the answer is 404 or 400 naming id', async () => {
    cluster = await startHttpCluster();
    for (const [method, path] of [
      ['GET', '/v1/jobs/424242'],
      ['GET', '/v1/jobs/424242/result'],
      ['POST', '/v1/jobs/424242/cancel'],
      ['POST', '/v1/jobs/424242/retry'],
    ]) {
      const reply = await call(method, path);
      expect(reply.status, path).toBe(404);
      expect(reply.body.error).toEqual({ code: 'NOT_FOUND', message: 'job 424242 not found' });
    }
    const bad = await call('GET', '/v1/jobs/abc');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^id: /);
    const undecodable = await call('GET', '/v1/jobs/%E0%A4%A');
    expect(undecodable.status).toBe(400);
    expect(undecodable.body.error.message).toMatch(/^id: /);
    const doubleSlash = await call('GET', '//v1/jobs');
    expect(doubleSlash.status).toBe(404);
  });

  it('given bad list parameters, when jobs are listed, then the answer is 400 naming the parameter', async () => {
    cluster = await startHttpCluster();
    for (const [query, field] of [
      ['status=done', 'status'],
      ['limit=0', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=5000', 'limit'],
      ['page_token=garbage', 'page_token'],
      ['newest_first=maybe', 'newest_first'],
      ['colour=red', 'colour'],
      ['queue=no%20spaces', 'queue'],
    ]) {
      const reply = await call('GET', `/v1/jobs?${query}`);
      expect(reply.status, query).toBe(400);
      expect(reply.body.error.message.startsWith(`${field}:`), reply.body.error.message).toBe(true);
    }
    const wait = await call('GET', '/v1/jobs/1/result?wait=soon');
    expect(wait.status).toBe(400);
    expect(wait.body.error.message).toMatch(/^wait: /);
  });

  it('given unknown routes and wrong methods, when they are called, then the answers are 404 and 405 with Allow', async () => {
    cluster = await startHttpCluster();
    const unknown = await call('GET', '/v2/things');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
    const wrong = await call('DELETE', '/v1/jobs/1');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect(wrong.body.error.code).toBe('METHOD_NOT_ALLOWED');
    const getCancel = await call('GET', '/v1/jobs/1/cancel');
    expect(getCancel.status).toBe(405);
    expect(getCancel.headers.get('allow')).toBe('POST');
    const putJobs = await call('PUT', '/v1/jobs', { type: 'echo' });
    expect(putJobs.status).toBe(405);
    expect(putJobs.headers.get('allow')).toBe('POST, GET');
  });

  it('given a draining master, when a job is POSTed, then the answer is 503 UNAVAILABLE and reads still work', async () => {
    cluster = await startHttpCluster();
    const before = await call('POST', '/v1/jobs', { type: 'echo' });
    cluster.running.master.drain();
    const refused = await call('POST', '/v1/jobs', { type: 'echo' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body.error.code).toBe('UNAVAILABLE');
    const read = await call('GET', `/v1/jobs/${before.body.id}`);
    expect(read.status).toBe(200);
  });
});

describe('REST stats, queues and aliases', () => {
  it('given a worker and jobs, when stats are asked, then counts, queues and the worker are there', async () => {
    cluster = await startHttpCluster();
    await cluster.addWorker({ concurrency: 3 });
    await waitFor(() => cluster!.running.master.stats().workers.length === 1, 'the worker to connect');
    const job = await call('POST', '/v1/jobs', { type: 'echo', queue: 'default' });
    await call('GET', `/v1/jobs/${job.body.id}/result?wait=10s`);
    const stats = await call('GET', '/v1/stats');
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ state: 'running', submittedTotal: 1, finishedTotal: 1 });
    expect(stats.body.counts.completed).toBe(1);
    expect(stats.body.queues).toEqual([expect.objectContaining({ name: 'default', paused: false })]);
    expect(stats.body.workers).toEqual([expect.objectContaining({ id: 'w1', concurrency: 3, busy: 0, alive: true })]);
  });

  it('given a paused queue, when a job is submitted to it, then it waits until the queue is resumed over REST', async () => {
    cluster = await startHttpCluster();
    await cluster.addWorker({ queues: 'slowlane' });
    const paused = await call('POST', '/v1/queues/slowlane/pause');
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ name: 'slowlane', paused: true });
    const job = await call('POST', '/v1/jobs', { type: 'echo', queue: 'slowlane', payload: 7 });
    const whilePaused = await call('GET', `/v1/jobs/${job.body.id}/result?wait=300ms`);
    expect(whilePaused.body).toMatchObject({ finished: false, job: { status: 'queued' } });
    const resumed = await call('POST', '/v1/queues/slowlane/resume');
    expect(resumed.body).toMatchObject({ name: 'slowlane', paused: false });
    const done = await call('GET', `/v1/jobs/${job.body.id}/result?wait=10s`);
    expect(done.body.job).toMatchObject({ status: 'completed', result: 7 });
    const badName = await call('POST', '/v1/queues/bad%20name/pause');
    expect(badName.status).toBe(400);
    expect(badName.body.error.message).toMatch(/^queue: /);
  });

  it('given the original dashboard routes, when a job is submitted with job_type and all jobs listed, then they behave like /v1', async () => {
    cluster = await startHttpCluster();
    await cluster.addWorker();
    const older = await call('POST', '/submit_job', { job_type: 'fibonacci', payload: 20 });
    expect(older.status).toBe(201);
    expect(older.body).toMatchObject({ status: 'queued', duplicate: false });
    expect(older.body.job_id).toMatch(/^\d+$/);
    const newer = await call('POST', '/submit_job', { job_type: 'echo', payload: { x: 1 } });
    await call('GET', `/v1/jobs/${newer.body.job_id}/result?wait=10s`);
    const done = await call('GET', `/v1/jobs/${older.body.job_id}/result?wait=10s`);
    expect(done.body.job.result).toBe('6765');

    const all = await call('GET', '/get_all_jobs');
    expect(all.status).toBe(200);
    expect(all.body.jobs.map((j: { id: string }) => j.id)).toEqual([newer.body.job_id, older.body.job_id]);
    // A page, as the README says (50 by default): the last page has an empty next_page_token, and
    // a token continues where the page ended.
    expect(all.body.nextPageToken).toBe('');
    const first = await call('GET', '/get_all_jobs?limit=1');
    expect(first.body.jobs.map((j: { id: string }) => j.id)).toEqual([newer.body.job_id]);
    const rest = await call('GET', `/get_all_jobs?limit=1&page_token=${first.body.nextPageToken}`);
    expect(rest.body.jobs.map((j: { id: string }) => j.id)).toEqual([older.body.job_id]);
    // Listings leave payloads out (as gRPC ListJobs does); one job's GET has it.
    expect(all.body.jobs[0]).toMatchObject({ type: 'echo', status: 'completed', payload: null });
    expect((await call('GET', `/v1/jobs/${newer.body.job_id}`)).body.payload).toEqual({ x: 1 });
    const bad = await call('POST', '/submit_job', { job_type: 'fibonacci', payload: 1, priority: -1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^job\.priority: /);
    const wrongMethod = await call('GET', '/submit_job');
    expect(wrongMethod.status).toBe(405);
  });

  it('given a REST submit and a gRPC submit, when both are listed, then they are the same jobs through either door', async () => {
    cluster = await startHttpCluster();
    const rest = await call('POST', '/v1/jobs', { type: 'echo', payload: [1, 2, 3], queue: 'mixed' });
    const grpc = await cluster.client.call('submitJob', { job: { type: 'echo', payload: json([1, 2, 3]), queue: 'mixed' } });
    const listed = await call('GET', '/v1/jobs?queue=mixed');
    expect(listed.body.jobs.map((j: { id: string }) => j.id)).toEqual([rest.body.id, grpc.jobId]);
    const [viaRest, viaGrpc] = await Promise.all([call('GET', `/v1/jobs/${rest.body.id}`), call('GET', `/v1/jobs/${grpc.jobId}`)]);
    const { id: _a, createdAt: _b, updatedAt: _c, runAt: _d, ...restView } = viaRest.body;
    const { id: _e, createdAt: _f, updatedAt: _g, runAt: _h, ...grpcView } = viaGrpc.body;
    expect(restView).toEqual(grpcView);
    expect(restView.payload).toEqual([1, 2, 3]);
  });
});
