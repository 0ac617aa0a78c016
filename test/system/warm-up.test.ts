/**
 * System test of the warm-ups as `nucleus master` and `nucleus worker` run them by default: they
 * happen before the master listens and before the worker connects, and none of their jobs
 * reaches the real store, the counts, the metrics or the worker's record.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tempDir } from '../helpers/cluster.js';
import { freePort, killAll, runCli, spawnCli, spawnMaster, waitForWorkers } from '../helpers/process.js';
import { MasterClient } from '../../src/rpc/client.js';

const dir = tempDir();
afterAll(async () => {
  await killAll();
  dir.cleanup();
});

describe('system: master warm-up', () => {
  it('given the defaults, when the master starts, then it warms up with 20,000 jobs before it says it is listening, and its store, counts and metrics hold none of them', async () => {
    const httpPort = await freePort();
    const db = join(dir.path, 'warm.db');
    const master = spawnCli(['master', '--host', '127.0.0.1', '--port', '0', '--http-port', String(httpPort), '--db', db, '--log-level', 'info']);
    const listening = await master.waitForLine(/nucleus master listening: gRPC [^\s:]+:(\d+)/, { stream: 'stderr', timeoutMs: 30_000 });
    const warmed = master.stderr().indexOf('"msg":"warmed up"');
    expect(warmed, master.stderr()).toBeGreaterThanOrEqual(0);
    expect(warmed).toBeLessThan(master.stderr().indexOf('nucleus master listening'));
    expect(master.stderr()).toMatch(/"jobs":20000,"ms":\d+,"msg":"warmed up"/);

    const client = new MasterClient({ address: `127.0.0.1:${listening[1]}`, timeoutMs: 5_000 });
    try {
      const stats = await client.call('getStats', {});
      expect(Number(stats.submittedTotal)).toBe(0);
      expect(Number(stats.finishedTotal)).toBe(0);
      expect(stats.queues).toEqual([]);
      expect(stats.counts.filter((c) => Number(c.count) !== 0)).toEqual([]);
      expect((await client.call('listJobs', {})).jobs).toEqual([]);
      const { jobId } = await client.submit({ type: 'noop' });
      expect(Number(jobId)).toBe(1);
    } finally {
      client.close();
    }
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(metrics).not.toContain('warm-up');
    expect(metrics).toMatch(/^nucleus_jobs_submitted_total\{queue="default",type="noop"\} 1$/m);
    master.kill('SIGTERM');
    expect((await master.waitForExit(10_000)).code).toBe(0);
  });

  it('given a SIGTERM during a long warm-up, when the master gets it, then it cuts the warm-up short, closes the store and exits 0', async () => {
    const master = spawnCli(['master', '--host', '127.0.0.1', '--port', '0', '--http-port', '0', '--db', join(dir.path, 'term.db'), '--log-level', 'info', '--warm-up', '1000000']);
    await master.waitForLine(/"msg":"master running"/, { stream: 'stderr', timeoutMs: 30_000 });
    const sent = Date.now();
    master.kill('SIGTERM');
    expect((await master.waitForExit(10_000)).code).toBe(0);
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(master.stderr()).toContain('"msg":"master stopped; store closed"');
    expect(master.stderr()).not.toContain('nucleus master listening');
    expect(master.stderr()).not.toContain('warmed up');
  });

  it('given --warm-up 0, when the master starts, then it listens without warming up', async () => {
    const master = spawnCli(['master', '--host', '127.0.0.1', '--port', '0', '--http-port', '0', '--db', join(dir.path, 'cold.db'), '--log-level', 'info', '--warm-up', '0']);
    await master.waitForLine(/nucleus master listening/, { stream: 'stderr', timeoutMs: 30_000 });
    expect(master.stderr()).not.toContain('warmed up');
    master.kill('SIGTERM');
    await master.waitForExit(10_000);
  });

  it('given the defaults, when a worker starts, then it warms up with 5,000 jobs before it connects, and the master sees none of them', async () => {
    const master = await spawnMaster({ db: join(dir.path, 'worker.db'), args: ['--warm-up', '0'] });
    const worker = spawnCli(['worker', '--id', 'w1', '--master', master.address, '--log-level', 'info']);
    await worker.waitForLine(/"msg":"connected to the master"/, { stream: 'stderr', timeoutMs: 30_000 });
    const log = worker.stderr();
    expect(log).toMatch(/"jobs":5000,"ms":\d+,"msg":"warmed up"/);
    expect(log.indexOf('"msg":"warmed up"')).toBeLessThan(log.indexOf('"msg":"connected to the master"'));

    const client = new MasterClient({ address: master.address, timeoutMs: 5_000 });
    try {
      await waitForWorkers(client, ['w1']);
      const stats = await client.call('getStats', {});
      expect(Number(stats.submittedTotal)).toBe(0);
      expect(stats.workers.map((w) => [w.id, Number(w.jobsDone)])).toEqual([['w1', 0]]);
      const { jobId } = await client.submit({ type: 'echo', payload: Buffer.from('{"hello":1}'), contentType: 'application/json' });
      const { job, finished } = await client.call('getJobResult', { jobId, wait: true, waitTimeoutMs: 4_000 });
      expect(finished).toBe(true);
      expect(job?.workerId).toBe('w1');
      expect(JSON.parse(Buffer.from(job!.result).toString())).toEqual({ hello: 1 });
    } finally {
      client.close();
    }
  });

  it.each([
    [['--warm-up', '-1'], {}, /--warm-up/],
    [['--warm-up', '2000000'], {}, /--warm-up/],
    [[], { NUCLEUS_WARM_UP: 'lots' }, /--warm-up: must be an integer from 0 to 1000000 \(got "lots"\)/],
  ])('given a bad warm-up %j %j, when the master starts, then it names the setting and exits 2 without starting', async (args, env, message) => {
    const { code, stderr } = await runCli(['master', '--port', '0', '--http-port', '0', '--db', join(dir.path, 'bad.db'), ...args], { env });
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toContain('listening');
  });
});

describe('system: worker warm-up settings', () => {
  it('given --warm-up 0, when a worker starts, then it connects without warming up', async () => {
    const master = await spawnMaster({ db: join(dir.path, 'worker-cold.db'), args: ['--warm-up', '0'] });
    const worker = spawnCli(['worker', '--id', 'w2', '--master', master.address, '--log-level', 'info', '--warm-up', '0']);
    await worker.waitForLine(/"msg":"connected to the master"/, { stream: 'stderr', timeoutMs: 30_000 });
    expect(worker.stderr()).not.toContain('warmed up');
  });

  it('given a bad --warm-up, when a worker starts, then it names the setting and exits 2', async () => {
    const { code, stderr } = await runCli(['worker', '--id', 'w3', '--master', '127.0.0.1:1', '--warm-up', 'many']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--warm-up/);
  });
});
