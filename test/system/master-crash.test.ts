/**
 * System test of the first guarantee: an acknowledged job is never lost. Producers submit 2,000
 * jobs over concurrent calls while workers complete them; the master process is killed with
 * SIGKILL mid-way and restarted on the same store and port. The workers are left alone and must
 * reconnect by themselves. Every acknowledged job must end completed, exactly once.
 *
 * Producers retry a failed submit with the same idempotency key, as a careful producer would, so
 * that a submit that was committed but not acknowledged before the crash is not stored twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { tempDir, waitFor, json } from '../helpers/cluster.js';
import { killAll, spawnMaster, spawnWorker, waitForWorkers, type MasterProcess } from '../helpers/process.js';
import { MasterClient } from '../../src/rpc/client.js';
import { JobStatus, type Job } from '../../src/rpc/generated/nucleus/v1/jobs.js';

const TOTAL = 2_000;
const KILL_AFTER = 600;
const PRODUCERS = 8;

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  await killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Calls `fn` until it succeeds; the pause between tries keeps a loop from spinning while the master is down. */
async function untilAcknowledged<T>(fn: () => Promise<T>, deadline: number): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(Math.min(500, 25 * 2 ** tries));
    }
  }
}

describe('system: the master killed with SIGKILL under load', () => {
  it(`given ${TOTAL} jobs being submitted and completed, when the master is SIGKILLed mid-way and restarted on the same store, then every acknowledged job completes exactly once`, async () => {
    // Given a master, two worker processes, and producers in this process.
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const db = join(dir.path, 'nucleus.db');
    const heartbeat = ['--heartbeat-interval', '300ms', '--heartbeat-timeout', '2s'];
    let master: MasterProcess = await spawnMaster({ db, args: heartbeat });
    const client = new MasterClient({ address: master.address, timeoutMs: 5_000 });
    cleanups.push(() => client.close());
    const workers = ['w1', 'w2'].map((id) => spawnWorker({ id, master: master.address, args: ['--concurrency', '8'] }));
    await waitForWorkers(client, ['w1', 'w2']);

    // Producers take logical jobs from a shared counter: odd producers one at a time (SubmitJob), even ones in batches (SubmitJobs).
    const acknowledged = new Map<number, string>();
    let next = 0;
    let inFlight = 0;
    let inFlightAtKill = -1;
    let statsBeforeKill: { completed: number } | null = null;
    let killed: Promise<void> | null = null;
    const deadline = Date.now() + 40_000;
    // Short sleeps, so that attempts are running (and results in flight) when the master dies.
    const spec = (i: number) => ({ type: 'sleep', idempotencyKey: `crash-test-${i}`, payload: json({ duration: 0.02 }) });
    const killMaster = async () => {
      // Record what the store had finished a moment before the crash, then crash it.
      const { counts } = await client.call('getStats', {});
      statsBeforeKill = { completed: Number(counts.find((c) => c.status === JobStatus.JOB_STATUS_COMPLETED)?.count ?? 0) };
      inFlightAtKill = inFlight;
      master.proc.kill('SIGKILL');
      await master.proc.waitForExit();
      // When it comes back on the same store and port.
      master = await spawnMaster({ db, port: master.port, args: heartbeat });
    };
    const producer = async (p: number) => {
      // Three kinds of producer: SubmitJobs of 10, SubmitJob, and the coalescing submit() (SubmitStream).
      const kind = p % 3;
      const batch = kind === 0 ? 10 : 1;
      while (next < TOTAL) {
        const indices = Array.from({ length: Math.min(batch, TOTAL - next) }, () => next++);
        inFlight++;
        try {
          const ids = await untilAcknowledged(async () => {
            if (kind === 2) return [(await client.submit(spec(indices[0]))).jobId];
            if (indices.length === 1) return [(await client.call('submitJob', { job: spec(indices[0]) })).jobId];
            return (await client.call('submitJobs', { jobs: indices.map(spec) })).results.map((r) => r.jobId);
          }, deadline);
          indices.forEach((i, k) => acknowledged.set(i, ids[k]));
        } finally {
          inFlight--;
        }
        if (!killed && acknowledged.size >= KILL_AFTER) killed = killMaster();
      }
    };
    await Promise.all(Array.from({ length: PRODUCERS }, (_, p) => producer(p)));
    await killed;

    // The crash happened mid-way: submits were in flight and workers had completed some jobs, not all.
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(statsBeforeKill!.completed).toBeGreaterThan(0);
    expect(statsBeforeKill!.completed).toBeLessThan(TOTAL);
    expect(acknowledged.size).toBe(TOTAL);

    // Then every acknowledged job reaches completed, with the workers reconnecting by themselves.
    await waitForWorkers(client, ['w1', 'w2'], 20_000);
    await waitFor(async () => {
      const { counts } = await client.call('getStats', {});
      return Number(counts.find((c) => c.status === JobStatus.JOB_STATUS_COMPLETED)?.count ?? 0) >= TOTAL;
    }, `${TOTAL} jobs to be completed`, 30_000, 100);

    // And none is lost or stored twice, and each was completed exactly once in the store's record.
    const { counts } = await client.call('getStats', {});
    const stored = counts.reduce((sum, c) => sum + Number(c.count), 0);
    expect(stored).toBe(TOTAL);
    expect(new Set(acknowledged.values()).size).toBe(TOTAL);
    const jobs: Job[] = [];
    const ids = [...acknowledged.values()];
    for (let i = 0; i < ids.length; i += 50) {
      jobs.push(...(await Promise.all(ids.slice(i, i + 50).map(async (jobId) => (await client.call('getJobStatus', { jobId })).job!))));
    }
    const wrong = jobs.filter((job) => {
      const completions = job.attempts.filter((a) => a.outcome === 'completed').length;
      return job.status !== JobStatus.JOB_STATUS_COMPLETED || completions !== 1 || job.attempts.at(-1)?.outcome !== 'completed';
    });
    expect(wrong.map((j) => ({ id: j.id, status: j.status, attempts: j.attempts.map((a) => a.outcome) }))).toEqual([]);
    expect(workers.map((w) => w.exit)).toEqual([null, null]);
  });
});
