/**
 * The job types that talk to the outside world (exec, http_request) and user handler modules,
 * through a real master and worker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, json, parse, type TestCluster } from '../helpers/cluster.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';

let cluster: TestCluster | null = null;
let server: Server | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
  server?.close();
  server = null;
});

async function run(c: TestCluster, type: string, payload: unknown, extra: Record<string, unknown> = {}) {
  const { jobId } = await c.client.call('submitJob', { job: { type, payload: json(payload), backoffBaseMs: 60_000, ...extra } });
  // Retryable failures go to `retrying` (not terminal): wait for that or for a terminal status.
  for (;;) {
    const { job } = await c.client.call('getJobResult', { jobId, wait: true, waitTimeoutMs: 200 }, 5_000);
    if (job!.status !== JobStatus.JOB_STATUS_QUEUED && job!.status !== JobStatus.JOB_STATUS_RUNNING) return job!;
  }
}

describe('exec', () => {
  it('given --allow-exec node, when an exec job runs node, then stdout is captured and the payload file is readable', async () => {
    cluster = await startCluster();
    await cluster.addWorker({ 'allow-exec': `node,${process.execPath}` });
    const job = await run(cluster, 'exec', {
      command: process.execPath,
      args: ['-e', "process.stdout.write(JSON.parse(require('fs').readFileSync(process.env.NUCLEUS_PAYLOAD_FILE)).args[2] + ':' + process.env.NUCLEUS_ATTEMPT)", 'hello'],
    });
    expect(job.status).toBe(JobStatus.JOB_STATUS_COMPLETED);
    expect(parse(job.result)).toMatchObject({ exitCode: 0, stdout: 'hello:1' });
  });

  it('given an allow-list, when a job names another program, then it fails without retry and nothing runs', async () => {
    cluster = await startCluster();
    await cluster.addWorker({ 'allow-exec': 'node' });
    const marker = join(cluster.dir, 'ran');
    const job = await run(cluster, 'exec', { command: 'touch', args: [marker] });
    expect(job.status).toBe(JobStatus.JOB_STATUS_FAILED);
    expect(job.error).toContain('"touch" is not allowed');
    expect(existsSync(marker)).toBe(false);
  });

  it('given payload values with shell syntax, when exec runs, then they reach the program verbatim (no shell)', async () => {
    cluster = await startCluster();
    await cluster.addWorker({ 'allow-exec': '*' });
    const marker = join(cluster.dir, 'injected');
    const job = await run(cluster, 'exec', { command: process.execPath, args: ['-e', 'process.stdout.write(process.argv[1])', `$(touch ${marker}); echo x`] });
    expect(parse(job.result)).toMatchObject({ stdout: `$(touch ${marker}); echo x` });
    expect(existsSync(marker)).toBe(false);
  });

  it('given a program that exits non-zero, then the attempt is a retryable error with the stderr tail', async () => {
    cluster = await startCluster();
    await cluster.addWorker({ 'allow-exec': '*' });
    const job = await run(cluster, 'exec', { command: process.execPath, args: ['-e', "console.error('boom'); process.exit(3)"] });
    expect(job.status).toBe(JobStatus.JOB_STATUS_RETRYING);
    expect(job.attempts[0].error).toMatch(/exited with code 3: boom/);
  });

  it('given a worker without --allow-exec, then it does not offer the exec type', async () => {
    cluster = await startCluster();
    await cluster.addWorker();
    const stats = await cluster.client.call('getStats', {});
    expect(stats.workers[0].jobTypes).not.toContain('exec');
    expect(stats.workers[0].jobTypes).toEqual(expect.arrayContaining(['noop', 'fibonacci', 'sleep', 'echo', 'math', 'http_request', 'random_failure']));
  });
});

describe('http_request', () => {
  async function listen(): Promise<number> {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        res.statusCode = req.url === '/fail' ? 503 : 200;
        res.end(JSON.stringify({ method: req.method, body }));
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    return (server!.address() as { port: number }).port;
  }

  it('given a 2xx answer from a server the worker allows, then the job completes with status and body', async () => {
    const port = await listen();
    cluster = await startCluster();
    await cluster.addWorker({ 'allow-http-hosts': '127.0.0.1' });
    const job = await run(cluster, 'http_request', { url: `http://127.0.0.1:${port}/ok`, method: 'POST', body: { a: 1 } });
    expect(job.status).toBe(JobStatus.JOB_STATUS_COMPLETED);
    const result = parse(job.result) as { status: number; body: string };
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ method: 'POST', body: '{"a":1}' });
  });

  it('given a non-2xx answer, then the attempt is a retryable error', async () => {
    const port = await listen();
    cluster = await startCluster();
    await cluster.addWorker({ 'allow-http-hosts': '127.0.0.0/8' });
    const job = await run(cluster, 'http_request', { url: `http://127.0.0.1:${port}/fail` });
    expect(job.status).toBe(JobStatus.JOB_STATUS_RETRYING);
    expect(job.attempts[0].error).toContain('503');
  });

  it('given a worker without --allow-http-hosts, when a job names a loopback, private, link-local or metadata address, or a name that resolves to loopback, then it fails at once without a request, naming the address and the flag', async () => {
    let requests = 0;
    const port = await listen();
    server!.on('request', () => requests++);
    cluster = await startCluster();
    await cluster.addWorker();
    for (const [url, address, kind] of [
      [`http://127.0.0.1:${port}/ok`, '127.0.0.1', 'loopback'],
      [`http://localhost:${port}/ok`, '127.0.0.1', 'loopback'],
      [`http://[::ffff:127.0.0.1]:${port}/ok`, '::ffff:7f00:1', 'loopback'],
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254', 'link-local (cloud metadata)'],
      ['http://10.1.2.3/', '10.1.2.3', 'private'],
      ['http://[fd00:ec2::254]/', 'fd00:ec2::254', 'private (unique local)'],
      ['http://0.0.0.0/', '0.0.0.0', 'unspecified'],
    ]) {
      const job = await run(cluster, 'http_request', { url, timeout: 5 });
      expect(job.status, url).toBe(JobStatus.JOB_STATUS_FAILED);
      expect(job.error, url).toContain(`refused to connect to ${address}`);
      expect(job.error, url).toContain(`not a public address (${kind}); start the worker with --allow-http-hosts`);
    }
    expect(requests).toBe(0);
  });

  it('given a worker that allows one host, when that host redirects to another loopback address, then the redirect is refused too', async () => {
    const port = await listen();
    server!.removeAllListeners('request');
    server!.on('request', (req, res) => {
      res.statusCode = req.url === '/hop' ? 302 : 200;
      if (req.url === '/hop') res.setHeader('location', `http://127.0.0.1:${port}/ok`);
      res.end('done');
    });
    cluster = await startCluster();
    await cluster.addWorker({ 'allow-http-hosts': 'localhost' });
    const direct = await run(cluster, 'http_request', { url: `http://localhost:${port}/ok` });
    expect(direct.status).toBe(JobStatus.JOB_STATUS_COMPLETED);
    const job = await run(cluster, 'http_request', { url: `http://localhost:${port}/hop` });
    expect(job.status).toBe(JobStatus.JOB_STATUS_FAILED);
    expect(job.error).toContain('refused to connect to 127.0.0.1, not a public address (loopback)');
  });

  it('given a bad URL, then the job fails without retry naming the field', async () => {
    cluster = await startCluster();
    await cluster.addWorker();
    const job = await run(cluster, 'http_request', { url: 'ftp://example' });
    expect(job.status).toBe(JobStatus.JOB_STATUS_FAILED);
    expect(job.error).toContain('payload.url');
  });
});

describe('user handler modules', () => {
  it('given a module with handlers, then its types run with ctx, and a NonRetryableError fails the job at once', async () => {
    cluster = await startCluster();
    const module = join(cluster.dir, 'handlers.mjs');
    writeFileSync(
      module,
      `export const greet = async (payload, ctx) => { ctx.progress(50, 'halfway'); return { hello: payload.name, attempt: ctx.attempt, job: ctx.jobId }; };
       class NonRetryableError extends Error { name = 'NonRetryableError'; }
       export const refuse = async () => { throw new NonRetryableError('not today'); };`,
    );
    await cluster.addWorker({ handlers: module });
    const ok = await run(cluster, 'greet', { name: 'Ada' });
    expect(ok.status).toBe(JobStatus.JOB_STATUS_COMPLETED);
    expect(parse(ok.result)).toEqual({ hello: 'Ada', attempt: 1, job: ok.id });
    const refused = await run(cluster, 'refuse', {});
    expect(refused.status).toBe(JobStatus.JOB_STATUS_FAILED);
    expect(refused.attempts).toHaveLength(1);
    expect(refused.error).toContain('not today');
  });
});

describe('results JSON cannot carry as they are', () => {
  it('given a handler returning BigInts, then they are recorded as strings; given a cyclic object or a function, then the attempt fails without retry saying why', async () => {
    cluster = await startCluster();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    await cluster.addWorker({}, {
      big: () => ({ n: 2n ** 70n, list: [1n] }),
      cyclic: () => cyclic,
      fn: () => () => 1,
      nothing: () => undefined,
      nil: () => null,
    });
    const big = await run(cluster, 'big', null);
    expect(big.status).toBe(JobStatus.JOB_STATUS_COMPLETED);
    expect(parse(big.result)).toEqual({ n: '1180591620717411303424', list: ['1'] });
    const bad = await run(cluster, 'cyclic', null, { maxRetries: 3 });
    expect(bad.status).toBe(JobStatus.JOB_STATUS_FAILED);
    expect(bad.attempts).toHaveLength(1);
    expect(bad.error).toMatch(/^the handler's result cannot be encoded as JSON \(.*circular/i);
    const fn = await run(cluster, 'fn', null, { maxRetries: 3 });
    expect([fn.status, fn.attempts.length, fn.error]).toEqual([
      JobStatus.JOB_STATUS_FAILED,
      1,
      "the handler's result cannot be encoded as JSON (a function has no JSON form)",
    ]);
    const nothing = await run(cluster, 'nothing', null);
    expect([nothing.status, nothing.result.length]).toEqual([JobStatus.JOB_STATUS_COMPLETED, 0]);
    const nil = await run(cluster, 'nil', null);
    expect([nil.status, nil.result.toString()]).toEqual([JobStatus.JOB_STATUS_COMPLETED, 'null']);
  });
});

describe('results over the limit', () => {
  it('given a handler whose result is larger than --max-payload, then the attempt fails without retry and the stream carries on', async () => {
    cluster = await startCluster({ master: { 'max-payload': '64KiB' } });
    await cluster.addWorker({}, { big: () => 'x'.repeat(100_000), small: () => 'ok' });
    const big = await run(cluster, 'big', null);
    expect(big.status).toBe(JobStatus.JOB_STATUS_FAILED);
    expect(big.error).toMatch(/result of 100002 bytes is over the master's limit of 65536 bytes/);
    const small = await run(cluster, 'small', null);
    expect(small.status).toBe(JobStatus.JOB_STATUS_COMPLETED);
  });
});
