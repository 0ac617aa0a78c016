/**
 * System test: a master stalled by SIGSTOP for twice its heartbeat timeout does not blame its
 * workers. Before, on SIGCONT its sweep ran before it read the heartbeats waiting in its sockets:
 * both healthy workers were declared dead and every running job ran a second time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir, waitFor, json } from '../helpers/cluster.js';
import { killAll, spawnMaster, spawnWorker, waitForWorkers } from '../helpers/process.js';
import { MasterClient } from '../../src/rpc/client.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  await killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('system: a master stalled by SIGSTOP', () => {
  it('given two workers running 8 jobs and a 3 s heartbeat timeout, when the master is stopped for 6 s and continued, then no worker is declared dead and every job completes on its first attempt', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const master = await spawnMaster({ db: join(dir.path, 'nucleus.db'), args: ['--heartbeat-interval', '1s', '--heartbeat-timeout', '3s'] });
    const client = new MasterClient({ address: master.address, timeoutMs: 5_000 });
    cleanups.push(() => client.close());
    spawnWorker({ id: 'wa', master: master.address, args: ['--concurrency', '4'] });
    spawnWorker({ id: 'wb', master: master.address, args: ['--concurrency', '4'] });
    await waitForWorkers(client, ['wa', 'wb']);
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      ids.push((await client.call('submitJob', { job: { type: 'sleep', payload: json({ duration: 10 }), maxRetries: 3, timeoutMs: 60_000 } })).jobId);
    }
    await waitFor(async () => (await client.call('getStats', {})).workers.reduce((n, w) => n + w.busy, 0) === 8, 'all 8 jobs to run');

    // When the master is stopped for twice its heartbeat timeout (the fault itself, not a wait).
    master.proc.kill('SIGSTOP');
    await sleep(6_000);
    master.proc.kill('SIGCONT');

    // Then it says it was stalled, declares nobody dead, and every job completes once.
    for (const jobId of ids) {
      const job = await waitFor(async () => {
        const { job } = await client.call('getJobStatus', { jobId });
        return job!.status === JobStatus.JOB_STATUS_COMPLETED ? job! : null;
      }, `job ${jobId} to complete`, 30_000, 100);
      expect(job.attempts.map((a) => [a.number, a.outcome])).toEqual([[1, 'completed']]);
    }
    expect(master.proc.stderr()).not.toMatch(/declared dead/);
    expect(master.proc.stderr()).toMatch(/the master was stalled/);
    const { workers } = await client.call('getStats', {});
    expect(workers.map((w) => w.id).sort()).toEqual(['wa', 'wb']);
  });
});
