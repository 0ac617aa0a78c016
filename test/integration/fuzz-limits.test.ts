/**
 * The master's limits on hostile volume: message size (payload limit plus 64 KiB of headroom on
 * gRPC, the same on REST bodies) and calls in flight per client connection (HTTP/2
 * SETTINGS_MAX_CONCURRENT_STREAMS). Each refusal is RESOURCE_EXHAUSTED (413 on REST) and writes
 * nothing; a client past the stream limit waits for a free stream instead of reaching the master.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect as http2Connect } from 'node:http2';
import { Metadata, credentials, status as GrpcStatus, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { startCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { createHttpGateway } from '../../src/http/plugin.js';
import { storeSnapshot } from '../chaos/store-snapshot.js';
import { MasterClient, workerClient } from '../../src/rpc/client.js';
import { MAX_CONCURRENT_STREAMS, startGrpcServer, type RunningGrpcServer } from '../../src/rpc/server.js';
import { silentLogger } from '../../src/log.js';
import { Hello, type MasterMessage } from '../../src/rpc/generated/nucleus/v1/worker.js';
import { JobServiceClient, type JobEvents } from '../../src/rpc/generated/nucleus/v1/jobs.js';

let cluster: TestCluster | null = null;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await cluster?.close();
  cluster = null;
});

function client(address: string): MasterClient {
  const c = new MasterClient({ address, timeoutMs: 5_000 });
  cleanups.push(() => c.close());
  return c;
}

const refusal = (call: Promise<unknown>) =>
  call.then(
    () => {
      throw new Error('the call succeeded but should have been refused');
    },
    (error: { code: string; message: string }) => error,
  );

describe('limits: message size', () => {
  it('given --max-payload 64KiB, when payloads at, just over and far over the limit are submitted, then the first is accepted and the others are RESOURCE_EXHAUSTED naming the limit, writing nothing', async () => {
    cluster = await startCluster({ master: { 'max-payload': '64KiB' }, http: createHttpGateway({ port: 0, processMetrics: false }) });
    const c = client(cluster.address);
    const limit = 64 * 1024;
    await c.call('submitJob', { job: { type: 'echo', payload: Buffer.alloc(limit, 'a'), contentType: 'application/octet-stream' } });
    const before = storeSnapshot(cluster.dbPath);

    // Just over: the message fits the transport, validation refuses it and names field and limit.
    const over = await refusal(c.call('submitJob', { job: { type: 'echo', payload: Buffer.alloc(limit + 1, 'a') } }));
    expect(over.code).toBe('RESOURCE_EXHAUSTED');
    expect(over.message).toBe(`job.payload: ${limit + 1} bytes is over the limit of ${limit} bytes (--max-payload)`);
    // Far over: the transport refuses the message before it is decoded (limit + 64 KiB).
    const far = await refusal(c.call('submitJob', { job: { type: 'echo', payload: Buffer.alloc(limit + 64 * 1024 + 1, 'a') } }));
    expect(far.code).toBe('RESOURCE_EXHAUSTED');
    expect(far.message).toMatch(/^the request is \d+ bytes, over the master's limit of 131072 bytes for one message \(its --max-payload, 65536 bytes, plus 64 KiB\)/);
    // A batch whose jobs are each under the limit but whose message is not.
    const batch = await refusal(c.call('submitJobs', { jobs: Array.from({ length: 3 }, () => ({ type: 'echo', payload: Buffer.alloc(limit, 'b') })) }));
    expect(batch.code).toBe('RESOURCE_EXHAUSTED');
    // REST: the body limit is the same, and the answer is 413.
    const rest = await fetch(`http://127.0.0.1:${cluster.running.httpPort}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'echo', payload: 'p'.repeat(limit + 64 * 1024) }),
    });
    expect(rest.status).toBe(413);
    expect(((await rest.json()) as { error: { code: string } }).error.code).toBe('RESOURCE_EXHAUSTED');

    expect(storeSnapshot(cluster.dbPath)).toEqual(before);
  });

  it('given --max-payload 64KiB, when a worker stream sends a message past the limit, then the stream ends RESOURCE_EXHAUSTED and the worker is gone', async () => {
    cluster = await startCluster({ master: { 'max-payload': '64KiB' } });
    const wc = workerClient(cluster.address);
    cleanups.push(() => wc.close());
    const stream = wc.connect();
    const welcomed = new Promise<void>((resolve) => stream.on('data', (m: MasterMessage) => m.msg?.$case === 'welcome' && resolve()));
    const ended = new Promise<ServiceError>((resolve) => stream.on('error', resolve));
    stream.write({ msg: { $case: 'hello', value: Hello.fromPartial({ workerId: 'big', concurrency: 1, jobTypes: ['limits-only'] }) } });
    await welcomed;
    stream.write({ msg: { $case: 'heartbeat', value: { running: [{ jobId: '1', attempt: 1, progress: 1, progressMessage: 'm'.repeat(200 * 1024) }] } } });
    expect((await ended).code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    await waitFor(async () => (await client(cluster!.address).call('getStats', {})).workers.every((w) => !w.alive), 'the worker to be gone');
  });
});

describe('limits: calls in flight per connection', () => {
  it(`given the master's gRPC port, when a client connects, then the server advertises at most ${MAX_CONCURRENT_STREAMS} concurrent streams`, async () => {
    cluster = await startCluster();
    const session = http2Connect(`http://${cluster.address}`);
    cleanups.push(() => session.close());
    const settings = await new Promise<number | undefined>((resolve, reject) => {
      session.on('remoteSettings', (s) => resolve(s.maxConcurrentStreams));
      session.on('error', reject);
    });
    expect(settings).toBe(MAX_CONCURRENT_STREAMS);
  });

  it('given a stream limit of 20, when one client holds 20 open streams, then its next call waits (its deadline passes) while another connection is served; closing one stream lets it through', async () => {
    cluster = await startCluster();
    const limited: RunningGrpcServer = await startGrpcServer(cluster.running.master, silentLogger, { host: '127.0.0.1', port: 0, maxMessageBytes: 1 << 20, maxConcurrentStreams: 20 });
    cleanups.push(() => limited.close(0));
    const address = `127.0.0.1:${limited.port}`;
    // Clients in one process share a connection per address unless told otherwise: the greedy one gets its own.
    const greedy = new JobServiceClient(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    cleanups.push(() => greedy.close());
    const stats = (c: JobServiceClient) =>
      new Promise<void>((resolve, reject) => c.getStats({}, new Metadata(), { deadline: Date.now() + 1_000 }, (error) => (error ? reject(error) : resolve())));
    const streams: Array<ClientReadableStream<JobEvents>> = [];
    const received = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const stream = greedy.watchEvents({ queues: [] });
      stream.on('data', () => received.add(i));
      stream.on('error', () => undefined);
      streams.push(stream);
    }
    cleanups.push(() => streams.forEach((s) => s.cancel()));
    // All 20 are open on the master: each sees the event of a job submitted elsewhere.
    const other = client(address);
    await other.call('submitJob', { job: { type: 'echo' } });
    await waitFor(() => received.size === 20, 'all 20 streams to receive the event');

    // The 21st call on the same connection waits for a stream; the other connection is served at once.
    const [queued, served] = await Promise.allSettled([stats(greedy), other.call('getStats', {}, 1_000)]);
    expect(served.status).toBe('fulfilled');
    expect(queued.status).toBe('rejected');
    expect((queued as PromiseRejectedResult).reason.code).toBe(GrpcStatus.DEADLINE_EXCEEDED);

    streams[0].cancel();
    await waitFor(() => stats(greedy).then(() => true), 'a call to go through once a stream is free');
  });
});
