/**
 * Messages that fit: every list the master or a worker sends on the worker stream is split to fit
 * the receiver's size limit, whatever the payload and result sizes the limits allow. One message
 * over the limit used to break the stream (RESOURCE_EXHAUSTED), and the jobs it carried were
 * counted lost until they were dead-lettered without ever running.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { HandWorker } from './hand-worker.js';
import { connected, getJob, payload, submit, waitForStatus } from './jobs.js';
import { Result, Outcome } from '../../src/rpc/generated/nucleus/v1/worker.js';
import { runCli } from '../helpers/process.js';

const MAX_PAYLOAD = 1024 * 1024;

let cluster: TestCluster | null = null;
const hands: HandWorker[] = [];
afterEach(async () => {
  for (const h of hands.splice(0)) h.close();
  await cluster?.close();
  cluster = null;
});

describe('message sizes', () => {
  it('given two queued jobs of about 600 KB each (default limits), when a worker of concurrency 2 connects, then both run once and complete', async () => {
    cluster = await startCluster();
    const big = (n: number) => payload({ n, fill: 'x'.repeat(600 * 1024) });
    const ids = [await submit(cluster, { type: 'echo', payload: big(1), maxRetries: 1 }), await submit(cluster, { type: 'echo', payload: big(2), maxRetries: 1 })];
    // Both are queued before the worker says Hello, so one dispatch round gives it both.
    await connected(await cluster.addWorker({ id: 'big', concurrency: 2 }));
    for (const [i, id] of ids.entries()) {
      const done = await waitForStatus(cluster, id, 'completed', 20_000);
      expect(done.attempts.map((a) => [a.number, a.outcome])).toEqual([[1, 'completed']]);
      expect(JSON.parse(Buffer.from(done.result).toString()).n).toBe(i + 1);
    }
  });

  it('given a worker stream, when one Results message carries 49,999 results for no lease, then all 49,999 refusals arrive and the stream goes on', async () => {
    cluster = await startCluster();
    const hand = await HandWorker.connect(cluster.address, { workerId: 'flood' });
    hands.push(hand);
    const COUNT = 49_999;
    const results = Array.from({ length: COUNT }, (_, i) =>
      Result.fromPartial({ jobId: String(1_000_000 + i), attempt: 1, outcome: Outcome.OUTCOME_COMPLETED }),
    );
    hand.send({ msg: { $case: 'results', value: { results } } });
    await waitFor(() => hand.all('acks').reduce((n, m) => n + m.acks.length, 0) >= COUNT || hand.ended, 'the refusals', 20_000);
    expect(hand.ended).toBeNull();
    const acks = hand.all('acks').flatMap((m) => m.acks);
    expect(acks).toHaveLength(COUNT);
    expect(acks.every((a) => !a.accepted)).toBe(true);
    expect(hand.all('acks').length).toBeGreaterThan(1);
    // Still served: a job submitted now is assigned on the same stream.
    const jobId = await submit(cluster, { type: 'echo', payload: payload('after') });
    expect((await hand.assignment(10_000)).jobId).toBe(jobId);
    expect((await getJob(cluster, jobId)).state).toBe('running');
  });

  it('given a job with a payload and a result of about 1 MB each, when it is read over gRPC and with nucleus status, then both work', async () => {
    cluster = await startCluster();
    await connected(await cluster.addWorker({ id: 'echo', concurrency: 1 }));
    const jobId = await submit(cluster, { type: 'echo', payload: payload('y'.repeat(MAX_PAYLOAD - 16)) });
    const done = await waitForStatus(cluster, jobId, 'completed', 20_000);
    expect(done.payload.byteLength + done.result.byteLength).toBeGreaterThan(2 * MAX_PAYLOAD - 64);
    const { job, finished } = await cluster.client.call('getJobResult', { jobId });
    expect(finished).toBe(true);
    expect(job!.result.byteLength).toBe(done.result.byteLength);
    const status = await runCli(['status', jobId, '--master', cluster.address, '--json']);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).id ?? JSON.parse(status.stdout).job?.id).toBe(jobId);
  });

  it('given a worker, when it reports a result over --max-payload or with a 2,002-character content type, then neither is stored and the attempt fails naming the limit', async () => {
    cluster = await startCluster();
    const hand = await HandWorker.connect(cluster.address, { workerId: 'oversize', concurrency: 2 });
    hands.push(hand);
    const big = await submit(cluster, { type: 'echo', payload: payload(1), maxRetries: 0 });
    const typed = await submit(cluster, { type: 'echo', payload: payload(2), maxRetries: 0 });
    await hand.assignment();
    await hand.assignment();
    const report = (jobId: string, result: Buffer, contentType: string) =>
      hand.send({ msg: { $case: 'results', value: { results: [Result.fromPartial({ jobId, attempt: 1, outcome: Outcome.OUTCOME_COMPLETED, result, contentType })] } } });
    report(big, Buffer.alloc(MAX_PAYLOAD + 1, 0x61), 'application/octet-stream');
    report(typed, Buffer.from('"ok"'), 'x'.repeat(2002));
    const failedBig = await waitForStatus(cluster, big, 'failed');
    expect(failedBig.result.byteLength).toBe(0);
    expect(failedBig.error).toBe(`result: ${MAX_PAYLOAD + 1} bytes is over the limit of ${MAX_PAYLOAD} bytes (--max-payload)`);
    const failedTyped = await waitForStatus(cluster, typed, 'failed');
    expect(failedTyped.resultContentType).toBe('');
    expect(failedTyped.error).toBe('result.content_type: must be at most 255 characters (got 2002)');
  });
});
