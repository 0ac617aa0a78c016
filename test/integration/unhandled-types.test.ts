/**
 * A job whose type no connected worker handles (a typo such as `fibonaci`) is accepted, since a
 * worker may come later, but says so everywhere: the submit answer warns and names the closest
 * type workers have announced, the job shows `waiting` over gRPC and REST, and /metrics counts
 * such jobs by type. Once a worker that handles the type connects, the job runs and the notes go.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { json, waitFor, type TestCluster } from '../helpers/cluster.js';
import { api, startHttpCluster } from './http-helpers.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';

let cluster: (TestCluster & { base: string }) | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

const unhandledGauge = async (base: string, type: string): Promise<number | null> => {
  const text = (await api(base, 'GET', '/metrics')).text;
  const line = text.split('\n').find((l) => l.startsWith(`nucleus_jobs_unhandled{type="${type}"}`));
  return line ? Number(line.split(' ').pop()) : null;
};

describe('jobs of a type no connected worker handles', () => {
  it('given a worker of the built-in types, when `fibonaci` jobs are submitted, then they are accepted with a warning, show waiting, are counted, and run once a worker for the type connects', async () => {
    cluster = await startHttpCluster();
    const c = cluster;
    await c.addWorker({ id: 'builtin' });
    await waitFor(async () => (await c.client.call('getStats', {})).workers.length === 1, 'the worker to connect');

    // gRPC: accepted, with a warning and the closest announced type.
    const typo = await c.client.call('submitJob', { job: { type: 'fibonaci', payload: json(10) } });
    expect(typo.jobId).toMatch(/^\d+$/);
    expect(typo.warning).toBe('no connected worker handles `fibonaci` (did you mean `fibonacci`?); the job waits until one connects');
    // A type a worker handles: no warning.
    expect((await c.client.call('submitJob', { job: { type: 'fibonacci', payload: json(10) } })).warning).toBe('');
    // A type nothing resembles: the warning without a guess.
    expect((await c.client.call('submitJob', { job: { type: 'transcode' } })).warning).toBe('no connected worker handles `transcode`; the job waits until one connects');

    // REST: the same warning on submit, and `waiting` on the job.
    const rest = await api(c.base, 'POST', '/v1/jobs', { type: 'fibonaci', payload: 12 });
    expect(rest.status).toBe(201);
    expect(rest.body.warning).toContain('did you mean `fibonacci`?');
    expect((await api(c.base, 'GET', `/v1/jobs/${typo.jobId}`)).body.waiting).toBe('no connected worker handles `fibonaci`');
    const { job } = await c.client.call('getJobStatus', { jobId: typo.jobId });
    expect(job!.status).toBe(JobStatus.JOB_STATUS_QUEUED);
    expect(job!.waiting).toBe('no connected worker handles `fibonaci`');
    const listed = await c.client.call('listJobs', { type: 'fibonaci' });
    expect(listed.jobs.map((j) => j.waiting)).toEqual(['no connected worker handles `fibonaci`', 'no connected worker handles `fibonaci`']);

    // /metrics: counted by type, from memory.
    expect(await unhandledGauge(c.base, 'fibonaci')).toBe(2);
    expect(await unhandledGauge(c.base, 'transcode')).toBe(1);
    expect(await unhandledGauge(c.base, 'fibonacci')).toBeNull();

    // When a worker that handles the type connects, the jobs run and nothing says waiting.
    await c.addWorker({ id: 'typo-handler' }, { fibonaci: async () => 'ran' });
    await waitFor(async () => (await c.client.call('getJobStatus', { jobId: typo.jobId })).job?.status === JobStatus.JOB_STATUS_COMPLETED, 'the typo job to run');
    expect((await c.client.call('getJobStatus', { jobId: typo.jobId })).job!.waiting).toBe('');
    await waitFor(async () => (await unhandledGauge(c.base, 'fibonaci')) === null, 'the gauge to drop the type');
    expect((await c.client.call('submitJob', { job: { type: 'fibonaci' } })).warning).toBe('');
  });
});
