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
