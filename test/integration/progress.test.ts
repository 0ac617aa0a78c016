/**
 * Progress: what a handler reports travels on the worker's heartbeat and shows in GetJobStatus
 * while the job runs; a stale lease cannot write progress.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { HandWorker } from './hand-worker.js';
import { getJob, payload, submit, waitForStatus } from './jobs.js';
import type { Handler } from '../../src/handlers/handler.js';

let cluster: TestCluster | null = null;
let hand: HandWorker | null = null;
afterEach(async () => {
  hand?.close();
  hand = null;
  await cluster?.close();
  cluster = null;
});

describe('progress', () => {
  it('given a handler that reports 50% (through a destructured progress) and waits, when the status is read while it runs, then it shows 50 and the message', async () => {
    cluster = await startCluster({ master: { 'heartbeat-interval': '100ms', 'heartbeat-timeout': '2s' } });
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const halfway: Handler = async (value, ctx) => {
      const { progress, jobId, attempt, queue, type } = ctx;
      progress(50, 'half');
      await released;
      progress(100, 'done');
      return { value, jobId, attempt, queue, type, aborted: ctx.signal.aborted };
    };
    await cluster.addWorker({}, { halfway });
    const jobId = await submit(cluster, { type: 'halfway', payload: payload(1) });
    const running = await waitFor(async () => {
      const job = await getJob(cluster!, jobId);
      return job.state === 'running' && job.progress === 50 ? job : null;
    }, 'progress 50 in the job status', 5000);
    expect(running.progressMessage).toBe('half');
    release();
    const done = await waitForStatus(cluster, jobId, 'completed');
    expect(JSON.parse(Buffer.from(done.result).toString())).toEqual({ value: 1, jobId, attempt: 1, queue: 'default', type: 'halfway', aborted: false });
  });

  it('given a hand-played worker, when it heartbeats progress for a lease it does not hold, then that progress is ignored', async () => {
    cluster = await startCluster();
    hand = await HandWorker.connect(cluster.address, { workerId: 'hand' });
    const jobId = await submit(cluster, { type: 'echo' });
    const a = await hand.assignment();
    hand.heartbeat([{ jobId, attempt: a.attempt + 1, progress: 99, progressMessage: 'forged' }]);
    // Messages on a stream are handled in order: once this stale result is refused, the forged
    // heartbeat before it has been handled too.
    hand.result(jobId, a.attempt + 1, 'barrier');
    expect((await hand.ack(jobId, a.attempt + 1)).accepted).toBe(false);
    expect((await getJob(cluster, jobId)).progress).toBe(0);

    hand.heartbeat([{ jobId, attempt: a.attempt, progress: 30, progressMessage: 'real' }]);
    const job = await waitFor(async () => {
      const j = await getJob(cluster!, jobId);
      return j.progress > 0 ? j : null;
    }, 'progress to be recorded');
    expect([job.progress, job.progressMessage]).toEqual([30, 'real']);
  });
});
