/**
 * Small helpers for integration tests: read a job over gRPC, wait for a status, and handlers that
 * record what they ran.
 */
import { statusFromProto } from '../../src/rpc/convert.js';
import { waitFor, type TestCluster } from '../helpers/cluster.js';
import type { Job } from '../../src/rpc/generated/nucleus/v1/jobs.js';
import type { Handler } from '../../src/handlers/handler.js';
import type { Worker } from '../../src/worker/worker.js';

/** A job as GetJobStatus returns it, with its status as the domain's name (`completed`, ...). */
export async function getJob(cluster: TestCluster, jobId: string): Promise<Job & { state: string }> {
  const { job } = await cluster.client.call('getJobStatus', { jobId });
  return { ...job!, state: statusFromProto(job!.status) };
}

/** Polls until the job is in `status`; returns it. */
export function waitForStatus(cluster: TestCluster, jobId: string, status: string, timeoutMs = 10_000): Promise<Job & { state: string }> {
  return waitFor(
    async () => {
      const job = await getJob(cluster, jobId);
      return job.state === status ? job : null;
    },
    `job ${jobId} to be ${status}`,
    timeoutMs,
  );
}

/** Submits one job and returns its id. */
export async function submit(cluster: TestCluster, job: Record<string, unknown> & { type: string }): Promise<string> {
  const { jobId } = await cluster.client.call('submitJob', { job });
  return jobId;
}

export const payload = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** Waits until a worker has said Hello and been welcomed. */
export function connected(worker: Worker): Promise<boolean> {
  return waitFor(() => worker.isConnected, 'the worker to connect');
}

/** A handler that waits until released, so that a test can hold jobs in the running state. */
export function gate(): { handler: Handler; started: string[]; aborted: string[]; release: () => void } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const started: string[] = [];
  const aborted: string[] = [];
  const handler: Handler = async (value, ctx) => {
    started.push(ctx.jobId);
    ctx.signal.addEventListener('abort', () => aborted.push(ctx.jobId), { once: true });
    await opened;
    return value;
  };
  return { handler, started, aborted, release: () => open() };
}
