/**
 * Long polls for a result (REST `?wait=`, gRPC GetJobResult with `wait`) whose callers go away:
 * the waiter must go with its caller, and while it waits it must hold the job's id, not the job
 * (a large payload times a thousand waiters was gigabytes).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { request, type ClientRequest } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Metadata, type ClientUnaryCall } from '@grpc/grpc-js';
import { waitFor, type TestCluster } from '../helpers/cluster.js';
import { startHttpCluster } from './http-helpers.js';
import { GetJobResultRequest } from '../../src/rpc/generated/nucleus/v1/jobs.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let cluster: (TestCluster & { base: string }) | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

const WAITERS = 200;
const PAYLOAD_BYTES = 900_000;

/** Heap and buffers in use after a full collection: what the process really holds. */
function heldBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

async function waitersMetric(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^nucleus_result_waiters (\d+)$/m.exec(text)?.[1]);
}

async function largeQueuedJob(c: TestCluster): Promise<string> {
  // No worker: the job stays queued, so every wait lasts until its caller gives up.
  const { jobId } = await c.client.call('submitJob', { job: { type: 'echo', payload: Buffer.from(JSON.stringify({ pad: 'p'.repeat(PAYLOAD_BYTES) })) } });
  return jobId;
}

describe('abandoned result waits', () => {
  it(`given ${WAITERS} REST clients waiting an hour for a large job, when they wait and then hang up, then no payload is held meanwhile and no waiter is left`, async () => {
    cluster = await startHttpCluster();
    const c = cluster;
    const master = c.running.master;
    const jobId = await largeQueuedJob(c);
    const before = heldBytes();
    const requests: ClientRequest[] = [];
    for (let i = 0; i < WAITERS; i++) {
      const req = request(`${c.base}/v1/jobs/${jobId}/result?wait=1h`, { agent: false });
      req.on('error', () => undefined);
      req.end();
      requests.push(req);
    }
    await waitFor(() => master.resultWaiters === WAITERS, `${WAITERS} waiters to register (now ${master.resultWaiters})`, 30_000);
    const held = heldBytes() - before;
    // Before the fix each waiter kept its own copy of the job: 200 x 900 KB = 180 MB.
    expect(held, `${(held / 2 ** 20).toFixed(1)} MiB held by ${WAITERS} waiters`).toBeLessThan(40 * 2 ** 20);
    expect(await waitersMetric(c.base)).toBe(WAITERS);
    for (const req of requests) req.destroy();
    await waitFor(() => master.resultWaiters === 0, `every waiter to go with its caller (left: ${master.resultWaiters})`, 10_000);
    expect(await waitersMetric(c.base)).toBe(0);
    expect(master.state).toBe('running');
  });

  it(`given ${WAITERS} gRPC GetJobResult calls waiting an hour, when each call is cancelled, then no waiter is left, and a wait that is not abandoned still gets the result`, async () => {
    cluster = await startHttpCluster();
    const c = cluster;
    const master = c.running.master;
    const jobId = await largeQueuedJob(c);
    const calls: ClientUnaryCall[] = [];
    const deadline = Date.now() + 3_600_000;
    for (let i = 0; i < WAITERS; i++) {
      const req = GetJobResultRequest.fromPartial({ jobId, wait: true, waitTimeoutMs: 3_600_000 });
      calls.push(c.client.raw.getJobResult(req, new Metadata(), { deadline }, () => undefined));
    }
    await waitFor(() => master.resultWaiters === WAITERS, `${WAITERS} waiters to register (now ${master.resultWaiters})`, 30_000);
    for (const call of calls) call.cancel();
    await waitFor(() => master.resultWaiters === 0, `every waiter to go with its call (left: ${master.resultWaiters})`, 10_000);

    // (A small job: payload + result of the large one do not fit one gRPC reply, a separate defect.)
    const { jobId: small } = await c.client.call('submitJob', { job: { type: 'echo', payload: Buffer.from('{"n":1}') } });
    const kept = c.client.call('getJobResult', { jobId: small, wait: true, waitTimeoutMs: 60_000 }, 70_000);
    await waitFor(() => master.resultWaiters === 1, 'the kept wait to register');
    await c.running.master.cancel(Number(jobId));
    await c.addWorker({ concurrency: 1 });
    const { job, finished } = await kept;
    expect(finished).toBe(true);
    expect(Buffer.from(job!.result).toString()).toBe('{"n":1}');
    expect(master.resultWaiters).toBe(0);
  });
});
