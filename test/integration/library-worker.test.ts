/**
 * The library Worker embedded in the test process, against a real master: 1,000 jobs with a
 * Client, close without grace mid-job losing nothing, typed events, and isolated handlers (a
 * stuck one terminated after its grace, a CPU-bound one that cannot stop heartbeats, a throwing
 * one reported with its stack).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import pino from 'pino';
import { z } from 'zod';
import { startCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { Client, defineHandler, Worker } from '../../src/index.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/isolation-handlers.mjs', import.meta.url));
let cluster: TestCluster | null = null;
let client: Client | null = null;
const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close({ grace: 0 })));
  client?.close();
  client = null;
  await cluster?.close();
  cluster = null;
});

/** A pino logger whose lines land in `lines`. */
function capture(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
  return { logger: pino({ level: 'info' }, stream), lines };
}

function embed(options: ConstructorParameters<typeof Worker>[0]): Worker {
  const w = new Worker({ logger: capture().logger, ...options });
  workers.push(w);
  void w.run();
  return w;
}

const double = defineHandler({ type: 'double', schema: z.object({ n: z.number().int() }), run: ({ n }) => n * 2 });

describe('embedded Worker', () => {
  it('given a Worker and a Client in one process, when 1,000 jobs are submitted, then all complete with their results and events', async () => {
    cluster = await startCluster();
    client = new Client({ masters: [cluster.address] });
    const worker = embed({ masters: cluster.address, id: 'emb', concurrency: 8, handlers: [double], isolation: 'none' });
    let completed = 0;
    worker.on('completed', () => completed++);
    const connected = new Promise((r) => worker.once('connected', r));
    await connected;
    const jobs = await client.submitMany(Array.from({ length: 1000 }, (_, i) => ({ type: double, payload: { n: i } })));
    const ids = jobs.map((j) => ('id' in j ? j.id : ''));
    await waitFor(async () => (await client!.stats()).counts.completed === 1000, '1,000 completed jobs', 60_000, 100);
    expect(completed).toBe(1000);
    const r = await client.result<number>(ids[321]);
    expect(r).toMatchObject({ finished: true, result: 642 });
  });

  it('given jobs running, when the worker is closed without grace, then nothing is lost: another worker finishes every job', async () => {
    cluster = await startCluster();
    client = new Client({ masters: [cluster.address] });
    const slow = { slow: async (_: unknown, ctx: { signal: AbortSignal }) => new Promise((resolve, reject) => { const t = setTimeout(resolve, 400, 'ok'); ctx.signal.addEventListener('abort', () => (clearTimeout(t), reject(ctx.signal.reason))); }) };
    const first = embed({ masters: cluster.address, id: 'first', concurrency: 4, handlers: slow, isolation: 'none' });
    const ids = (await client.submitMany(Array.from({ length: 20 }, () => ({ type: 'slow' })))).map((j) => ('id' in j ? j.id : ''));
    await waitFor(async () => (await client!.stats()).counts.running === 4, 'four running jobs', 20_000);
    await first.close({ grace: 0 });
    embed({ masters: cluster.address, id: 'second', concurrency: 4, handlers: slow, isolation: 'none' });
    await waitFor(async () => (await client!.stats()).counts.completed === 20, 'all 20 completed', 60_000, 100);
    for (const id of ids) expect((await client.get(id)).status).toBe('completed');
  });

  it('given function handlers and the default isolation, when the Worker is made, then it says to pass a module or isolation none', () => {
    expect(() => new Worker({ handlers: { noop: () => null } })).toThrow(/isolation: handlers given as functions run in this thread/);
    expect(() => new Worker({ handlers: FIXTURE, masters: ['a:1', 'b:2'] as never })).toThrow(/masters: a worker holds its leases on one master/);
  });

  it('given a listener that throws, when the event fires, then the error is logged and the worker goes on', async () => {
    cluster = await startCluster();
    client = new Client({ masters: [cluster.address] });
    const { logger, lines } = capture();
    const worker = embed({ masters: cluster.address, handlers: { noop: () => null }, isolation: 'none', logger });
    worker.on('completed', () => {
      throw new Error('listener bug');
    });
    await client.submit('noop');
    await client.submit('noop');
    await waitFor(async () => (await client!.stats()).counts.completed === 2, 'two completed jobs', 20_000);
    await waitFor(() => lines.filter((l) => l.msg === 'a listener of "completed" threw').length === 2, 'two logged listener errors');
    expect(JSON.stringify(lines)).toContain('listener bug');
  });
});

describe.each(['thread', 'process'] as const)('isolation %s', (isolation) => {
  it('given a handler stuck in while (true) {}, when it times out, then it is terminated after the grace and its slot serves the next job', async () => {
    cluster = await startCluster();
    client = new Client({ masters: [cluster.address] });
    const { logger, lines } = capture();
    const worker = new Worker({ masters: cluster.address, concurrency: 1, handlers: FIXTURE, isolation, abortGraceMs: 300, logger });
    workers.push(worker);
    void worker.run();
    const failed: string[] = [];
    worker.on('failed', (e) => failed.push(e.outcome));
    const stuck = await client.submit('spin', null, { timeoutMs: 500, maxRetries: 0 });
    await waitFor(() => lines.some((l) => String(l.msg).startsWith('handler ignored its abort signal; terminating')), 'the stuck handler terminated', 20_000);
    const next = await client.submit('noop');
    expect((await client.result(next.id, { wait: true, timeoutMs: 20_000 })).status).toBe('completed');
    expect((await client.get(stuck.id)).status).toMatch(/failed|dead_letter/);
    expect(failed).toEqual(['timeout']);
  });

  it('given a handler that throws, then the job error carries its name, message and stack', async () => {
    cluster = await startCluster();
    client = new Client({ masters: [cluster.address] });
    embed({ masters: cluster.address, handlers: FIXTURE, isolation });
    const job = await client.submit('boom', null, { maxRetries: 0 });
    const r = await client.result(job.id, { wait: true, timeoutMs: 20_000 });
    expect(r.error).toMatch(/^TypeError: boom from the handler\n\s+at (Object\.)?boom \(file:.*isolation-handlers\.mjs:\d+:\d+\)$/);
  });

  it('given bytes in and out, when run isolated, then they stay bytes and the handler logs reach the worker logger', async () => {
    cluster = await startCluster();
    client = new Client({ masters: [cluster.address] });
    const { logger, lines } = capture();
    const worker = new Worker({ masters: cluster.address, handlers: FIXTURE, isolation, logger });
    workers.push(worker);
    void worker.run();
    const job = await client.submit('bytes', Buffer.from([1, 2, 3]));
    const r = await client.result<Buffer>(job.id, { wait: true, timeoutMs: 20_000 });
    expect([...(r.result as Buffer)]).toEqual([3, 2, 1]);
    expect(lines.some((l) => l.msg === 'got bytes' && l.size === 3 && l.job === job.id)).toBe(true);
  });
});

describe('isolation thread and heartbeats', () => {
  it('given a CPU-bound handler running 8 s against a 2 s heartbeat timeout, then it completes on its first attempt and the worker stays alive', async () => {
    cluster = await startCluster({ master: { 'heartbeat-interval': '250ms', 'heartbeat-timeout': '2s' } });
    client = new Client({ masters: [cluster.address] });
    let lost = 0;
    const worker = embed({ masters: cluster.address, id: 'cpu', handlers: FIXTURE, isolation: 'thread' });
    worker.on('lost', () => lost++);
    worker.on('disconnected', () => lost++);
    const job = await client.submit('burn', { ms: 8_000 });
    const r = await client.result(job.id, { wait: true, timeoutMs: 60_000 });
    expect(r).toMatchObject({ status: 'completed', result: { spins: true } });
    expect(r.job.attempts).toHaveLength(1);
    expect(lost).toBe(0);
    expect((await client.stats()).workers.find((w) => w.id === 'cpu')?.alive).toBe(true);
  }, 90_000);
});
