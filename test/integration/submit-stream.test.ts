/**
 * SubmitStream, the stream that carries the client's coalesced submits: every batch answered once
 * committed, a refused batch answered with its error while the stream goes on, each job judged on
 * its own, the stream closed by the client when idle (so a producer process can exit), and clear
 * errors when the master is away or goes away.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startCluster, tempDir, waitFor, type TestCluster } from '../helpers/cluster.js';
import { PROJECT_ROOT, freePort, killAll, spawnMaster } from '../helpers/process.js';
import { MasterClient } from '../../src/rpc/client.js';
import { JobServiceService, JobStatus, SubmitBatch, type DeepPartial, type SubmitBatchResult, type SubmitJobsRequest } from '../../src/rpc/generated/nucleus/v1/jobs.js';
import { Server, ServerCredentials, type ClientDuplexStream, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';

let cluster: TestCluster | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
  await killAll();
});

const job = (i: number) => ({ type: 'noop', payload: Buffer.from(JSON.stringify({ i })), contentType: 'application/json' });

/** A raw SubmitStream, answers collected as they come. */
function rawStream(c: TestCluster) {
  const stream = c.client.raw.submitStream() as ClientDuplexStream<SubmitBatch, SubmitBatchResult>;
  const answers: SubmitBatchResult[] = [];
  let ended = false;
  const write = (batch: DeepPartial<SubmitBatch>) => stream.write(SubmitBatch.fromPartial(batch));
  stream.on('data', (a: SubmitBatchResult) => answers.push(a));
  stream.on('end', () => (ended = true));
  stream.on('error', () => (ended = true));
  return { stream, write, answers, isEnded: () => ended };
}

describe('SubmitStream', () => {
  it('given batches on one stream, when one is refused whole and one has a bad job, then each gets its own answer and the stream goes on', async () => {
    cluster = await startCluster();
    const { stream, write, answers } = rawStream(cluster);
    write({ batchId: 1, jobs: [job(1), job(2)] });
    write({ batchId: 2, jobs: Array.from({ length: 10_001 }, (_, i) => job(i)) });
    write({ batchId: 3, jobs: [job(3), { type: 'noop', priority: 11 }, job(4)] });
    await waitFor(() => answers.length === 3, 'three answers');
    const byId = new Map(answers.map((a) => [a.batchId, a]));
    expect(byId.get(1)!.error).toBe('');
    expect(byId.get(1)!.results.map((r) => r.jobId).every((id) => /^\d+$/.test(id))).toBe(true);
    expect(byId.get(2)).toMatchObject({ results: [], errorCode: 'RESOURCE_EXHAUSTED' });
    expect(byId.get(2)!.error).toContain('10000');
    const third = byId.get(3)!;
    expect(third.results.map((r) => r.errorCode)).toEqual(['', 'INVALID_ARGUMENT', '']);
    expect(third.results[1].error).toContain('job.priority');
    // Four jobs committed: two from batch 1, two from batch 3; none from the refused batch.
    const stats = await cluster.client.call('getStats', {});
    expect(Number(stats.submittedTotal)).toBe(4);
    stream.end();
  });

  it('given a client that half-closes with batches unanswered, when they commit, then they are answered and the master ends the stream', async () => {
    cluster = await startCluster();
    const { stream, write, answers, isEnded } = rawStream(cluster);
    for (let b = 1; b <= 5; b++) write({ batchId: b, jobs: Array.from({ length: 50 }, (_, i) => job(b * 100 + i)) });
    stream.end();
    await waitFor(() => isEnded(), 'the master to end the stream');
    expect(answers.map((a) => a.batchId).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(answers.every((a) => a.error === '' && a.results.length === 50)).toBe(true);
  });

  it('given far more batches written at once than the master takes at a time, when it reads them in windows, then every batch is answered once', async () => {
    cluster = await startCluster();
    const { stream, write, answers, isEnded } = rawStream(cluster);
    for (let b = 1; b <= 400; b++) write({ batchId: b, jobs: Array.from({ length: 5 }, (_, i) => job(b * 10 + i)) });
    stream.end();
    await waitFor(() => isEnded(), 'the master to end the stream', 20_000);
    expect(answers.map((a) => a.batchId).sort((x, y) => x - y)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    expect(answers.every((a) => a.error === '' && a.results.length === 5)).toBe(true);
    expect(Number((await cluster.client.call('getStats', {})).submittedTotal)).toBe(2000);
  });

  it('given a master that is shutting down, when a batch comes, then it is answered UNAVAILABLE and nothing is written', async () => {
    cluster = await startCluster();
    await cluster.client.submit(job(0));
    const { stream, write, answers } = rawStream(cluster);
    write({ batchId: 1, jobs: [job(1)] });
    await waitFor(() => answers.length === 1, 'the first answer');
    cluster.running.master.drain();
    write({ batchId: 2, jobs: [job(2)] });
    await waitFor(() => answers.length === 2, 'the second answer');
    expect(answers[1]).toMatchObject({ batchId: 2, results: [], errorCode: 'UNAVAILABLE' });
    expect(Number((await cluster.client.call('getStats', {})).submittedTotal)).toBe(2);
    stream.end();
  });

  it('given many concurrent submit() calls, when they run in waves, then every job is committed once and the client reuses one stream', async () => {
    cluster = await startCluster();
    const ids = new Set<string>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < 3000) ids.add((await cluster!.client.submit(job(next++))).jobId);
      }),
    );
    expect(ids.size).toBe(3000);
    expect(Number((await cluster.client.call('getStats', {})).submittedTotal)).toBe(3000);
  });
});

describe('SubmitStream short answers', () => {
  const QUEUED = JobStatus.JOB_STATUS_QUEUED;
  const SCHEDULED = JobStatus.JOB_STATUS_SCHEDULED;
  const payloadOf = async (c: TestCluster, jobId: string) =>
    JSON.parse(Buffer.from((await c.client.call('getJobStatus', { jobId })).job!.payload).toString());

  it('given a batch of new jobs that asks for the short answer, when committed, then it is answered with the first id and the status, and the k-th job has id first + k', async () => {
    cluster = await startCluster();
    const { write, answers } = rawStream(cluster);
    write({ batchId: 1, jobs: Array.from({ length: 300 }, (_, i) => job(i)), shortAnswer: true });
    write({ batchId: 2, jobs: [job(1000), { ...job(1001), delayMs: 60_000 }], shortAnswer: true });
    write({ batchId: 3, jobs: [{ ...job(2000), delayMs: 60_000 }, { ...job(2001), delayMs: 60_000 }], shortAnswer: true });
    await waitFor(() => answers.length === 3, 'three answers');
    const byId = new Map(answers.map((a) => [a.batchId, a]));
    const first = byId.get(1)!;
    expect(first).toMatchObject({ results: [], error: '', status: QUEUED });
    expect(first.firstJobId).toBeGreaterThan(0);
    for (const k of [0, 1, 150, 299]) expect(await payloadOf(cluster, String(first.firstJobId + k))).toEqual({ i: k });
    // Two statuses in one batch: written out per job.
    expect(byId.get(2)!.firstJobId).toBe(0);
    expect(byId.get(2)!.results.map((r) => r.status)).toEqual([QUEUED, SCHEDULED]);
    // One status, scheduled: short, with that status.
    expect(byId.get(3)).toMatchObject({ results: [], status: SCHEDULED });
    expect(await payloadOf(cluster, String(byId.get(3)!.firstJobId + 1))).toEqual({ i: 2001 });
  });

  it('given batches with a duplicate or a refused job, or that do not ask for it, when committed, then each is answered job by job', async () => {
    cluster = await startCluster();
    await cluster.client.call('submitJob', { job: { ...job(0), idempotencyKey: 'order-17' } });
    const { write, answers } = rawStream(cluster);
    write({ batchId: 1, jobs: [job(1), { ...job(2), idempotencyKey: 'order-17' }, job(3)], shortAnswer: true });
    write({ batchId: 2, jobs: [job(4), { type: 'noop', priority: 11 }], shortAnswer: true });
    write({ batchId: 3, jobs: [job(5), job(6)] });
    write({ batchId: 4, jobs: [{ ...job(7), idempotencyKey: 'order-17' }], shortAnswer: true });
    await waitFor(() => answers.length === 4, 'four answers');
    const byId = new Map(answers.map((a) => [a.batchId, a]));
    expect(answers.every((a) => a.firstJobId === 0)).toBe(true);
    expect(byId.get(1)!.results.map((r) => r.duplicate)).toEqual([false, true, false]);
    expect(byId.get(2)!.results.map((r) => r.errorCode)).toEqual(['', 'INVALID_ARGUMENT']);
    expect(byId.get(3)!.results.map((r) => r.jobId).every((id) => /^\d+$/.test(id))).toBe(true);
    expect(byId.get(4)!.results).toMatchObject([{ duplicate: true }]);
    expect(Number((await cluster.client.call('getStats', {})).submittedTotal)).toBe(6);
  });

  it('given concurrent submit() calls and a submitMany() at once, when answered short, then every caller gets the id of its own job', async () => {
    cluster = await startCluster();
    const c = cluster;
    const [singles, many] = await Promise.all([
      Promise.all(Array.from({ length: 200 }, (_, i) => c.client.submit(job(i)))),
      c.client.submitMany(Array.from({ length: 700 }, (_, i) => job(10_000 + i))),
    ]);
    expect(new Set([...singles, ...many].map((r) => r.jobId)).size).toBe(900);
    for (const i of [0, 99, 199]) expect(await payloadOf(c, singles[i].jobId)).toEqual({ i });
    for (const i of [0, 255, 256, 699]) expect(await payloadOf(c, many[i].jobId)).toEqual({ i: 10_000 + i });
    expect([...singles, ...many].every((r) => r.status === QUEUED && !r.duplicate && r.error === '')).toBe(true);
  });
});

describe('submit() and message size', () => {
  it('given --max-payload 64KiB, when many submits each near the limit are made at once, then all are committed (they are not sent as one oversized message)', async () => {
    cluster = await startCluster({ master: { 'max-payload': '64KiB' } });
    const big = (i: number) => ({ type: 'noop', payload: Buffer.alloc(60 * 1024, i), contentType: 'application/octet-stream' });
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => cluster!.client.submit(big(i))));
    expect(new Set(answers.map((a) => a.jobId)).size).toBe(12);
    // One over the limit is refused on its own; its neighbours in the same turn are not.
    const mixed = await Promise.allSettled([cluster.client.submit(big(1)), cluster.client.submit({ type: 'noop', payload: Buffer.alloc(64 * 1024 + 1) }), cluster.client.submit(big(2))]);
    expect(mixed.map((m) => m.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((mixed[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(Number((await cluster.client.call('getStats', {})).submittedTotal)).toBe(14);
  });
});

describe('submit() and an older master', () => {
  it('given a master without SubmitStream, when submit() is called, then the batch goes again as a SubmitJobs call and every submit gets its answer', async () => {
    // A server that knows SubmitJobs only, as a master from before SubmitStream does.
    const server = new Server();
    let calls = 0;
    server.addService(JobServiceService, {
      submitJobs: (call: ServerUnaryCall<SubmitJobsRequest, unknown>, done: sendUnaryData<unknown>) => {
        calls++;
        done(null, { results: call.request.jobs.map((j, i) => ({ jobId: String(100 + i), status: 1, duplicate: false, error: '', errorCode: '' })) });
      },
    } as never);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const client = new MasterClient({ address: `127.0.0.1:${port}`, timeoutMs: 5000 });
    try {
      const answers = await Promise.all([client.submit(job(1)), client.submit(job(2))]);
      expect(answers.map((a) => a.jobId)).toEqual(['100', '101']);
      expect((await client.submit(job(3))).jobId).toBe('100');
      expect(calls).toBe(2);
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});

describe('submit() and the master going away', () => {
  it('given no master at the address, when submit() is called, then it rejects with one clear line naming the address', async () => {
    const port = await freePort();
    const client = new MasterClient({ address: `127.0.0.1:${port}`, timeoutMs: 5000 });
    try {
      await expect(client.submit(job(1))).rejects.toMatchObject({ code: 'UNAVAILABLE', message: `cannot reach the master at 127.0.0.1:${port} (connection refused)` });
    } finally {
      client.close();
    }
  });

  it('given a master that is SIGKILLed and restarted, when submit() is called again, then the in-flight submits reject and the next ones succeed on a new stream', async () => {
    const dir = tempDir();
    const db = join(dir.path, 'nucleus.db');
    let master = await spawnMaster({ db });
    const client = new MasterClient({ address: master.address, timeoutMs: 10_000 });
    try {
      expect((await client.submit(job(1))).jobId).toMatch(/^\d+$/);
      master.proc.kill('SIGKILL');
      await master.proc.waitForExit();
      await expect(client.submit(job(2))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      master = await spawnMaster({ db, port: master.port });
      const answer = await waitFor(
        () => client.submit(job(3)).then((r) => r.jobId, () => null),
        'a submit to the restarted master',
        15_000,
        200,
      );
      expect(Number(answer)).toBeGreaterThan(1);
    } finally {
      client.close();
      master.proc.kill('SIGKILL');
      await master.proc.waitForExit();
      dir.cleanup();
    }
  });

  it('given a producer script that submits and never closes its client, when its work is done, then its process exits by itself', async () => {
    cluster = await startCluster();
    const script = `
      import { MasterClient } from ${JSON.stringify(join(PROJECT_ROOT, 'dist', 'rpc', 'client.js'))};
      const client = new MasterClient({ address: ${JSON.stringify(cluster.address)} });
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => client.submit({ type: 'noop', payload: Buffer.from(String(i)) })));
      console.log('submitted', answers.length);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(-1);
      }, 10_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(out).toContain('submitted 20');
    expect(code).toBe(0);
  });
});

describe('submitMany()', () => {
  it('given 2,500 jobs with two bad ones among them, when submitted in one call, then every answer is in order, the bad ones name their field, and the rest are committed once', async () => {
    cluster = await startCluster();
    const jobs: ReturnType<typeof job>[] = Array.from({ length: 2500 }, (_, i) => job(i));
    jobs[7] = { ...jobs[7], type: '' };
    jobs[1800] = { ...jobs[1800], priority: 11 } as never;
    const answers = await cluster.client.submitMany(jobs);
    expect(answers).toHaveLength(2500);
    expect(answers[7]).toMatchObject({ jobId: '', errorCode: 'INVALID_ARGUMENT' });
    expect(answers[7].error).toContain('job.type');
    expect(answers[1800]).toMatchObject({ jobId: '', errorCode: 'INVALID_ARGUMENT' });
    expect(answers[1800].error).toContain('job.priority');
    const ids = answers.filter((_, i) => i !== 7 && i !== 1800).map((a) => Number(a.jobId));
    expect(new Set(ids).size).toBe(2498);
    // In order: the ids grow with the position (one writer hands them out in arrival order).
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
    expect(Number((await cluster.client.call('getStats', {})).submittedTotal)).toBe(2498);
    // Each answer belongs to its job: job 2,000's payload is { i: 2000 }.
    const status = await cluster.client.call('getJobStatus', { jobId: answers[2000].jobId });
    expect(JSON.parse(Buffer.from(status.job!.payload).toString())).toEqual({ i: 2000 });
  });

  it('given --max-payload 64KiB and jobs each near the limit, when submitted in one call, then all are committed (no message over the limit)', async () => {
    cluster = await startCluster({ master: { 'max-payload': '64KiB' } });
    const answers = await cluster.client.submitMany(Array.from({ length: 6 }, (_, i) => ({ type: 'noop', payload: Buffer.alloc(60 * 1024, i) })));
    expect(answers.every((a) => /^\d+$/.test(a.jobId))).toBe(true);
  });

  it('given no jobs, when submitted, then the answer is empty and nothing is sent', async () => {
    cluster = await startCluster();
    expect(await cluster.client.submitMany([])).toEqual([]);
  });

  it('given no master at the address, when submitMany() and waitForReady() are called, then each rejects with one clear line naming the address', async () => {
    const port = await freePort();
    const client = new MasterClient({ address: `127.0.0.1:${port}`, timeoutMs: 1000 });
    try {
      await expect(client.submitMany([job(1), job(2)])).rejects.toMatchObject({ code: 'UNAVAILABLE', message: `cannot reach the master at 127.0.0.1:${port} (connection refused)` });
      await expect(client.waitForReady(500)).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        message: `cannot reach the master at 127.0.0.1:${port} (no connection within 500 ms)`,
      });
    } finally {
      client.close();
    }
  });

  it('given a running master, when waitForReady() is called, then it resolves', async () => {
    cluster = await startCluster();
    const client = new MasterClient({ address: cluster.address });
    try {
      await expect(client.waitForReady(5000)).resolves.toBeUndefined();
    } finally {
      client.close();
    }
  });
});
