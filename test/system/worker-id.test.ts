/**
 * System test: worker ids are one live process each. A second live process with an id in use is
 * refused with a line naming the host and pid that hold it (the two used to evict each other
 * several times a second, burning the retries of the jobs they ran), while a worker restarted
 * after its process died takes its id over at once, well inside the heartbeat timeout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { tempDir, waitFor, json } from '../helpers/cluster.js';
import { killAll, spawnMaster, spawnWorker, waitForWorkers } from '../helpers/process.js';
import { MasterClient } from '../../src/rpc/client.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';

/** Long, so that "at once" cannot be the heartbeat timeout doing the work. */
const HEARTBEAT_TIMEOUT_MS = 30_000;
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  await killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('system: two processes with one worker id', () => {
  it('given a live worker w1 running a job, when a second process starts as w1, then it is refused naming the pid and host of the first, which keeps its session and finishes its job; when w1 is SIGKILLed, a restarted w1 is taken at once', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const master = await spawnMaster({ db: join(dir.path, 'nucleus.db'), args: ['--heartbeat-interval', '1s', '--heartbeat-timeout', `${HEARTBEAT_TIMEOUT_MS}ms`] });
    const client = new MasterClient({ address: master.address, timeoutMs: 5_000 });
    cleanups.push(() => client.close());
    const first = spawnWorker({ id: 'w1', master: master.address, args: ['--concurrency', '1'] });
    await waitForWorkers(client, ['w1']);
    const connectedAt = (await client.call('getStats', {})).workers[0].connectedAtMs;
    const { jobId } = await client.call('submitJob', { job: { type: 'sleep', payload: json({ duration: 3 }), maxRetries: 0 } });
    await waitFor(async () => (await client.call('getJobStatus', { jobId })).job!.status === JobStatus.JOB_STATUS_RUNNING, 'the job to run on w1');

    // When a second live process says it is w1.
    const second = spawnWorker({ id: 'w1', master: master.address, args: ['--concurrency', '1'] });
    const refusal = await second.waitForLine(/worker id \\?"w1\\?" is in use by pid (\d+) on host (\S+) \(connected \d+s ago\)/, { timeoutMs: 20_000 });
    expect(Number(refusal[1])).toBe(first.pid);
    expect(refusal[2]).toBe(hostname());

    // Then the first keeps its session (no eviction) and its job completes on its first attempt.
    const done = await waitFor(async () => {
      const { job } = await client.call('getJobStatus', { jobId });
      return job!.status === JobStatus.JOB_STATUS_COMPLETED ? job! : null;
    }, 'the job to complete on w1', 20_000, 100);
    expect(done.attempts.map((a) => [a.number, a.workerId, a.outcome])).toEqual([[1, 'w1', 'completed']]);
    const { workers } = await client.call('getStats', {});
    expect(workers.map((w) => [w.id, w.pid, w.connectedAtMs])).toEqual([['w1', first.pid, connectedAt]]);
    second.kill('SIGKILL');
    await second.waitForExit();

    // When w1's process dies and w1 is started again, the new process is taken at once.
    first.kill('SIGKILL');
    await first.waitForExit();
    const killedAt = Date.now();
    const restarted = spawnWorker({ id: 'w1', master: master.address, args: ['--concurrency', '1'] });
    await waitFor(async () => (await client.call('getStats', {})).workers.some((w) => w.pid === restarted.pid), 'the restarted w1 to be connected', 15_000, 50);
    expect(Date.now() - killedAt).toBeLessThan(HEARTBEAT_TIMEOUT_MS / 2);
    expect(restarted.stderr()).not.toMatch(/is in use/);
  });
});
