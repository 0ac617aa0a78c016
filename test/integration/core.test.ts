import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, waitFor, json, parse, type TestCluster } from '../helpers/cluster.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';

let cluster: TestCluster | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

describe('core over loopback gRPC', () => {
  it('given a master and a worker, when a fibonacci job is submitted, then its exact result comes back', async () => {
    cluster = await startCluster();
    await cluster.addWorker();
    const { jobId } = await cluster.client.call('submitJob', { job: { type: 'fibonacci', payload: json(90) } });
    const { job, finished } = await cluster.client.call('getJobResult', { jobId, wait: true, waitTimeoutMs: 10_000 }, 15_000);
    expect(finished).toBe(true);
    expect(job!.status).toBe(JobStatus.JOB_STATUS_COMPLETED);
    expect(parse(job!.result)).toBe('2880067194370816120');
    expect(job!.attempts).toHaveLength(1);
    expect(job!.attempts[0].workerId).toBe('w1');
  });
});

describe('coalescing client', () => {
  it('given many concurrent submits with one invalid, when they are coalesced, then the valid ones commit and only the invalid one is refused', async () => {
    cluster = await startCluster();
    const calls = Array.from({ length: 300 }, (_, i) =>
      cluster!.client.submit(i === 7 ? { type: 'noop', priority: 11 } : { type: 'noop', payload: json(i) }).then(
        (r) => ({ ok: true as const, id: r.jobId }),
        (e: Error & { code?: string }) => ({ ok: false as const, code: e.code, message: e.message }),
      ),
    );
    const results = await Promise.all(calls);
    expect(results.filter((r) => r.ok)).toHaveLength(299);
    expect(results[7]).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect((results[7] as { message: string }).message).toContain('job.priority');
    const ids = new Set(results.flatMap((r) => (r.ok ? [r.id] : [])));
    expect(ids.size).toBe(299);
    const stats = await cluster.client.call('getStats', {});
    expect(stats.submittedTotal).toBe(299);
  });
});
