/**
 * System test: a worker process killed with SIGKILL while it holds a job. The master must notice
 * (stream gone or heartbeat timeout), end the attempt as `lost`, and another worker must finish the
 * job within the heartbeat timeout plus a few seconds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tempDir, waitFor, json } from '../helpers/cluster.js';
import { killAll, spawnMaster, spawnWorker, waitForWorkers, type CliProcess } from '../helpers/process.js';
import { MasterClient } from '../../src/rpc/client.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';

const HEARTBEAT_TIMEOUT_MS = 2_000;
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  await killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('system: a worker killed with SIGKILL', () => {
  it('given two workers and a sleep job held by one, when that worker is SIGKILLed, then the other completes the job within heartbeat timeout + 5 s and the history shows lost then completed', async () => {
    // Given a master with short heartbeats and two single-slot worker processes.
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const master = await spawnMaster({ db: join(dir.path, 'nucleus.db'), args: ['--heartbeat-interval', '300ms', '--heartbeat-timeout', `${HEARTBEAT_TIMEOUT_MS}ms`] });
    const client = new MasterClient({ address: master.address, timeoutMs: 5_000 });
    cleanups.push(() => client.close());
    const workers: Record<string, CliProcess> = {
      wa: spawnWorker({ id: 'wa', master: master.address, args: ['--concurrency', '1'] }),
      wb: spawnWorker({ id: 'wb', master: master.address, args: ['--concurrency', '1'] }),
    };
    await waitForWorkers(client, ['wa', 'wb']);

    // And a two-second sleep job that one of them is running.
    const { jobId } = await client.call('submitJob', { job: { type: 'sleep', payload: json({ duration: 2 }), maxRetries: 3 } });
    const running = await waitFor(async () => {
      const { job } = await client.call('getJobStatus', { jobId });
      return job!.status === JobStatus.JOB_STATUS_RUNNING && job!.workerId ? job! : null;
    }, 'the job to be running on a worker');
    const holder = running.workerId;
    const other = holder === 'wa' ? 'wb' : 'wa';
    // The master's view of the holder agrees: the job is in its running set.
    const { workers: seen } = await client.call('getStats', {});
    expect(seen.find((w) => w.id === holder)?.runningJobIds).toContain(jobId);

    // When the holder is killed without a chance to say goodbye.
    const killedAt = Date.now();
    workers[holder].kill('SIGKILL');
    expect((await workers[holder].waitForExit()).signal).toBe('SIGKILL');

    // Then the other worker completes the job within heartbeat timeout + 5 s.
    const done = await waitFor(async () => {
      const { job } = await client.call('getJobStatus', { jobId });
      return job!.status === JobStatus.JOB_STATUS_COMPLETED ? job! : null;
    }, 'the job to be completed by the surviving worker', HEARTBEAT_TIMEOUT_MS + 5_000, 50);
    const recoveredInMs = Date.now() - killedAt;
    expect(recoveredInMs).toBeLessThan(HEARTBEAT_TIMEOUT_MS + 5_000);

    // And the attempt history tells what happened: lost on the holder, completed on the other.
    expect(done.attempts.map((a) => [a.workerId, a.outcome])).toEqual([
      [holder, 'lost'],
      [other, 'completed'],
    ]);
    expect(done.failures).toBe(1);
    expect(JSON.parse(Buffer.from(done.result).toString())).toEqual({ slept: 2 });
    expect(workers[other].exit).toBeNull();
  });
});
