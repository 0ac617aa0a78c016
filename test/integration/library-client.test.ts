/**
 * The library Client against a real master: typed submits (schema checked before sending), reads,
 * every page of a listing, events, pause/resume, errors with stable codes, and failover between
 * masters that submits without an idempotency key never repeat.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type Server } from 'node:net';
import { z } from 'zod';
import { startCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { Client, defineHandler, NucleusError, PayloadError } from '../../src/index.js';

let cluster: TestCluster | null = null;
let client: Client | null = null;
const servers: Server[] = [];
afterEach(async () => {
  client?.close();
  client = null;
  await cluster?.close();
  cluster = null;
  for (const s of servers.splice(0)) s.close();
});

const greet = defineHandler({
  type: 'greet',
  schema: z.object({ name: z.string().min(1) }),
  run: (payload) => ({ greeting: `hello ${payload.name}` }),
});

/** A port with nothing listening on it (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('Client', () => {
  it('given a typed handler, when a job is submitted with it, then the worker runs it and result() waits for the typed value', async () => {
    cluster = await startCluster();
    await cluster.addWorker({}, { greet });
    client = new Client({ masters: [cluster.address] });
    const job = await client.submit(greet, { name: 'ada' });
    expect(job).toMatchObject({ status: 'queued', duplicate: false });
    const r = await client.result(job.id, { wait: true, timeoutMs: 20_000 });
    expect(r).toMatchObject({ finished: true, status: 'completed', result: { greeting: 'hello ada' }, error: null });
    expect((await client.get(job.id)).payload).toEqual({ name: 'ada' });
  });

  it('given a payload the schema refuses, when submitted with the handler, then PayloadError names the field and nothing is written', async () => {
    cluster = await startCluster();
    client = new Client({ masters: [cluster.address] });
    // @ts-expect-error name must be a string: the compiler refuses it too
    await expect(client.submit(greet, { name: 7 })).rejects.toThrow(PayloadError);
    await expect(client.submit(greet, { name: '' } as { name: string })).rejects.toThrow(/payload of greet: name: /);
    expect(Object.values((await client.stats()).counts).reduce((a, b) => a + (b ?? 0), 0)).toBe(0);
  });

  it('given bytes, when submitted, then they travel as octet-stream and come back as a Buffer', async () => {
    cluster = await startCluster();
    client = new Client({ masters: cluster.address });
    const job = await client.submit('echo', Buffer.from([0, 1, 2, 255]));
    const info = await client.get(job.id);
    expect(info.contentType).toBe('application/octet-stream');
    expect(Buffer.isBuffer(info.payload) && [...(info.payload as Buffer)]).toEqual([0, 1, 2, 255]);
  });

  it('given 250 jobs, when listed with a page size of 40, then every job comes back once, across pages', async () => {
    cluster = await startCluster();
    client = new Client({ masters: [cluster.address] });
    const answers = await client.submitMany(Array.from({ length: 250 }, (_, i) => ({ type: 'noop', payload: { i }, options: { queue: 'bulk' } })));
    expect(answers.every((a) => 'id' in a)).toBe(true);
    const seen: string[] = [];
    for await (const job of client.list({ queue: 'bulk', status: 'queued', pageSize: 40 })) seen.push(job.id);
    expect(new Set(seen).size).toBe(250);
    expect(seen.sort()).toEqual(answers.map((a) => ('id' in a ? a.id : '')).sort());
  });

  it('given a watcher, when a job runs, then its events arrive in order and breaking the loop ends the stream', async () => {
    cluster = await startCluster();
    client = new Client({ masters: [cluster.address] });
    const events: string[] = [];
    const controller = new AbortController();
    const watching = (async () => {
      for await (const e of client!.watch({ signal: controller.signal })) {
        events.push(e.status);
        if (e.status === 'completed') break;
      }
    })();
    await new Promise((r) => setTimeout(r, 200)); // the watch is registered before the submit
    await cluster.addWorker();
    await client.submit('noop');
    await waitFor(() => events.includes('completed'), 'the completed event', 20_000);
    await watching;
    expect(events).toEqual(expect.arrayContaining(['queued', 'running', 'completed']));
  });

  it('given a paused queue, when resumed, then stats show it; and an unknown job is NOT_FOUND', async () => {
    cluster = await startCluster();
    client = new Client({ masters: [cluster.address] });
    await client.submit('noop', null, { queue: 'mail' });
    await client.pause('mail');
    expect((await client.stats()).queues.find((q) => q.name === 'mail')?.paused).toBe(true);
    await client.resume('mail');
    expect((await client.stats()).queues.find((q) => q.name === 'mail')?.paused).toBe(false);
    const missing = await client.get('999999').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NucleusError);
    expect((missing as NucleusError).code).toBe('NOT_FOUND');
    await expect(client.list({ status: 'done' as never }).next()).rejects.toThrow(/status: unknown status "done"/);
  });

  it('given an unreachable first master, when the client submits, then it uses the next one', async () => {
    cluster = await startCluster();
    client = new Client({ masters: [`127.0.0.1:${await deadPort()}`, cluster.address], connectTimeoutMs: 1_000 });
    const job = await client.submit('noop');
    expect(client.master).toBe(cluster.address);
    expect((await client.get(job.id)).id).toBe(job.id);
  });

  it('given no reachable master, when the client submits, then UNAVAILABLE names every master', async () => {
    const a = `127.0.0.1:${await deadPort()}`;
    const b = `127.0.0.1:${await deadPort()}`;
    client = new Client({ masters: [a, b], connectTimeoutMs: 500 });
    const error = (await client.submit('noop').catch((e: unknown) => e)) as NucleusError;
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toContain(a);
    expect(error.message).toContain(b);
  });

  it('given a master that commits a submit without a key and whose answer is lost, when the call times out, then the client does not send it to the next master', async () => {
    cluster = await startCluster();
    const spare = await startCluster();
    // A proxy in front of the first master that can stop passing its answers on.
    let mute = false;
    const proxy = createServer((inbound) => {
      const outbound = connect(Number(cluster!.address.split(':')[1]), '127.0.0.1');
      inbound.on('data', (d) => outbound.write(d));
      outbound.on('data', (d) => !mute && inbound.write(d));
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
      inbound.on('close', () => outbound.destroy());
    });
    servers.push(proxy);
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxied = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
    try {
      client = new Client({ masters: [proxied, spare.address], timeoutMs: 1_500, connectTimeoutMs: 1_000 });
      await client.stats();
      mute = true;
      const lost = (await client.submit('noop').catch((e: unknown) => e)) as NucleusError;
      expect(lost.code).toBe('DEADLINE_EXCEEDED');
      await waitFor(async () => (await cluster!.client.call('getStats', {})).submittedTotal === 1, 'the first master to hold the job');
      expect((await spare.client.call('getStats', {})).submittedTotal).toBe(0);
      const keyed = await client.submit('noop', null, { idempotencyKey: 'k1' });
      expect(client.master).toBe(spare.address);
      expect((await spare.client.call('getJobStatus', { jobId: keyed.id })).job?.idempotencyKey).toBe('k1');
    } finally {
      await spare.close();
    }
  });
});
