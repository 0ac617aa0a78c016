/**
 * System test of the warm-up as `nucleus master` runs it by default: it happens before the
 * master listens, and none of its jobs reaches the real store, the counts or the metrics.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tempDir } from '../helpers/cluster.js';
import { freePort, killAll, runCli, spawnCli } from '../helpers/process.js';
import { MasterClient } from '../../src/rpc/client.js';

const dir = tempDir();
afterAll(async () => {
  await killAll();
  dir.cleanup();
});

describe('system: master warm-up', () => {
  it('given the defaults, when the master starts, then it warms up with 20,000 jobs before listening and its store, counts and metrics hold none of them', async () => {
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

  it('given --warm-up 0, when the master starts, then it listens without warming up', async () => {
    const master = spawnCli(['master', '--host', '127.0.0.1', '--port', '0', '--http-port', '0', '--db', join(dir.path, 'cold.db'), '--log-level', 'info', '--warm-up', '0']);
    await master.waitForLine(/nucleus master listening/, { stream: 'stderr', timeoutMs: 30_000 });
    expect(master.stderr()).not.toContain('warmed up');
    master.kill('SIGTERM');
    await master.waitForExit(10_000);
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
