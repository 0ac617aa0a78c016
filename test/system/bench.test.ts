/**
 * System test of `nucleus bench`: the built CLI starts its own cluster in temporary storage,
 * offers a small load, and prints a report. What is checked is the report's shape and that its
 * numbers agree with each other and with the load asked for; never how fast this machine is.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { killAll, spawnCli, spawnMaster, spawnWorker, waitForWorkers } from '../helpers/process.js';
import { tempDir } from '../helpers/cluster.js';
import { MasterClient } from '../../src/rpc/client.js';
import type { BenchReport } from '../../src/bench/report.js';
import type { LatencySummary } from '../../src/bench/stats.js';

const cleanups: Array<() => void> = [];
afterEach(async () => {
  await killAll();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function bench(args: string[]): Promise<{ code: number | null; report: BenchReport; stderr: string }> {
  const proc = spawnCli(['bench', ...args, '--json']);
  const exit = await proc.waitForExit(60_000);
  return { code: exit.code, report: JSON.parse(proc.stdout()) as BenchReport, stderr: proc.stderr() };
}

function expectOrdered(s: LatencySummary, n: number): void {
  expect(s.n).toBe(n);
  expect(s.min).toBeGreaterThan(0);
  expect(s.min).toBeLessThanOrEqual(s.p50);
  expect(s.p50).toBeLessThanOrEqual(s.p95);
  expect(s.p95).toBeLessThanOrEqual(s.p99);
  expect(s.p99).toBeLessThanOrEqual(s.max);
  expect(s.mean).toBeGreaterThanOrEqual(s.min);
  expect(s.mean).toBeLessThanOrEqual(s.max);
}

describe('system: nucleus bench', () => {
  it('given --spawn with separate processes, when 500 jobs are submitted by 64 callers, then the JSON report accounts for every job with consistent rates and percentiles', async () => {
    const { code, report, stderr } = await bench(['--spawn', '--jobs', '500']);
    expect(code, stderr).toBe(0);

    expect(report.machine.cpus).toBe(cpus().length);
    expect(report.machine.node).toBe(process.version);
    expect(report.target).toMatchObject({ deployment: 'procs', workers: 1, workerConcurrency: 64, sync: 'normal' });
    expect(report.load).toMatchObject({ jobs: 500, loop: 'closed', concurrency: 64, rate: null, batch: 1, coalesce: true, type: 'noop', observe: 'events' });

    // Every job acknowledged, one ack sample per call; the rate is the count over the elapsed time.
    expect(report.submit).toMatchObject({ acked: 500, failedJobs: 0, calls: 500, errors: 0, firstError: null });
    expect(report.submit.maxInFlight).toBeLessThanOrEqual(64);
    expect(report.submit.elapsedMs).toBeGreaterThan(0);
    expect(report.submit.jobsPerSec).toBeCloseTo((500 * 1000) / report.submit.elapsedMs, 6);
    expectOrdered(report.submit.ackMs, 500);

    // Every job seen completed, each with a latency sample that cannot be shorter than its ack.
    const c = report.completion!;
    expect(c).toMatchObject({ finished: 500, completed: 500, notCompleted: 0, unobserved: 0, missing: 0 });
    expectOrdered(c.latencyMs, 500);
    expect(c.latencyMs.max).toBeGreaterThanOrEqual(report.submit.ackMs.min);
    expect(c.elapsedMs).toBeGreaterThanOrEqual(report.submit.elapsedMs * 0.5);
    expect(c.jobsPerSec).toBeCloseTo((500 * 1000) / c.elapsedMs, 6);

    // Memory was sampled in all three processes.
    expect(report.memory.benchRssMiB).toBeGreaterThan(10);
    expect(report.memory.masterRssMiB).toBeGreaterThan(10);
    expect(report.memory.workerRssMiB).toBeGreaterThan(10);
  });

  it('given --spawn in one process, when 500 jobs go in batches of 100 with a read mix, then batches, reads and completions add up', async () => {
    const { code, report, stderr } = await bench(['--spawn', '--deployment', 'inproc', '--jobs', '500', '--batch', '100', '--concurrency', '2', '--mix', '2:1:1', '--type', 'fibonacci']);
    expect(code, stderr).toBe(0);
    expect(report.target.deployment).toBe('inproc');
    expect(report.load).toMatchObject({ batch: 100, coalesce: false, mix: { submit: 2, status: 1, result: 1 }, type: 'fibonacci' });
    expect(report.submit).toMatchObject({ acked: 500, calls: 5, errors: 0 });
    expectOrdered(report.submit.ackMs, 5);
    // Reads happen only once a job exists and in proportion: at most one of each per submit call.
    for (const op of ['status', 'result'] as const) {
      expect(report.reads[op].errors).toBe(0);
      expect(report.reads[op].calls).toBeGreaterThan(0);
      expect(report.reads[op].calls).toBeLessThanOrEqual(5);
      expectOrdered(report.reads[op].latencyMs, report.reads[op].calls);
    }
    expect(report.completion).toMatchObject({ completed: 500, missing: 0 });
    expect(report.memory.masterRssMiB).toBeNull();
  });

  it('given an open loop of 250 jobs/s, when 500 jobs are offered and seen through result waits, then the submits are spread over the schedule and all complete', async () => {
    const { code, report, stderr } = await bench(['--spawn', '--deployment', 'inproc', '--jobs', '500', '--rate', '250', '--observe', 'results', '--no-coalesce']);
    expect(code, stderr).toBe(0);
    expect(report.load).toMatchObject({ loop: 'open', rate: 250, concurrency: null, observe: 'results', coalesce: false });
    // Job k is due at k * 4 ms, so the last one cannot go out before about 2 s.
    expect(report.submit.elapsedMs).toBeGreaterThanOrEqual(499 * 4 - 5);
    expect(report.submit.acked).toBe(500);
    expect(report.completion).toMatchObject({ completed: 500, missing: 0 });
    expectOrdered(report.completion!.latencyMs, 500);
  });

  it('given a running master with a worker and a queue of its own, when the bench targets it with --master, then only the bench jobs are counted and the counts of the master agree', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const master = await spawnMaster({ db: join(dir.path, 'nucleus.db') });
    const client = new MasterClient({ address: master.address });
    cleanups.push(() => client.close());
    spawnWorker({ id: 'w1', master: master.address, args: ['--queues', 'bench,default', '--concurrency', '16'] });
    await waitForWorkers(client, ['w1']);
    // Other work on the same master, in another queue, must not be mistaken for the bench's.
    await client.call('submitJobs', { jobs: Array.from({ length: 50 }, () => ({ type: 'noop', queue: 'default' })) });

    const { code, report, stderr } = await bench(['--master', master.address, '--queue', 'bench', '--jobs', '300', '--concurrency', '8']);
    expect(code, stderr).toBe(0);
    expect(report.target).toEqual({ deployment: 'external', master: master.address });
    expect(report.memory.masterRssMiB).toBeNull();
    expect(report.completion).toMatchObject({ completed: 300, unobserved: 0, missing: 0 });
    const stats = await client.call('getStats', {});
    const benchQueue = stats.queues.find((q) => q.name === 'bench')!;
    expect(benchQueue.counts.reduce((n, c) => n + Number(c.count), 0)).toBe(300);
  });

  it('given --warmup 200, when the bench targets a running master, then the master runs the 200 warm-up jobs first but the report counts only the 300 measured ones', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const master = await spawnMaster({ db: join(dir.path, 'nucleus.db') });
    const client = new MasterClient({ address: master.address });
    cleanups.push(() => client.close());
    spawnWorker({ id: 'w1', master: master.address, args: ['--concurrency', '16'] });
    await waitForWorkers(client, ['w1']);

    const { code, report, stderr } = await bench(['--master', master.address, '--warmup', '200', '--jobs', '300', '--concurrency', '8']);
    expect(code, stderr).toBe(0);
    expect(report.load).toMatchObject({ jobs: 300, warmup: 200 });
    expect(report.submit).toMatchObject({ acked: 300, calls: 300, errors: 0 });
    expect(report.completion).toMatchObject({ finished: 300, completed: 300, unobserved: 0, missing: 0 });
    expectOrdered(report.completion!.latencyMs, 300);
    const stats = await client.call('getStats', {});
    expect(Number(stats.submittedTotal)).toBe(500);
    expect(Number(stats.finishedTotal)).toBe(500);
  });

  it('given a mix without submits, when the bench starts, then it refuses with a usage error naming --mix', async () => {
    const proc = spawnCli(['bench', '--spawn', '--mix', '0:1:1', '--json']);
    const exit = await proc.waitForExit(30_000);
    expect(exit.code).toBe(2);
    const out = JSON.parse(proc.stdout()) as { error: { code: string; message: string } };
    expect(out.error.code).toBe('INVALID_ARGUMENT');
    expect(out.error.message).toMatch(/--mix/);
  });
});
