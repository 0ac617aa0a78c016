/**
 * System test: `submit --wait` across a restart of the master. The job id is printed as soon as
 * the master has acknowledged the job; a master killed with SIGKILL and started again on its
 * store and port is waited for, and the result printed; when the master does not come back in
 * time, the error names the job.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tempDir } from '../helpers/cluster.js';
import { killAll, spawnCli, spawnMaster, spawnWorker } from '../helpers/process.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  await killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('system: submit --wait and a master restart', () => {
  it('given submit --wait on a job, when the master is SIGKILLed and started again, then submit printed the id at once, keeps waiting, and prints the result when a worker runs it', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const db = join(dir.path, 'n.db');
    const master = await spawnMaster({ db });
    const submit = spawnCli(['submit', 'echo', JSON.stringify({ hello: 'again' }), '--wait', '--wait-timeout', '90s', '--master', master.address]);
    const [, id] = await submit.waitForLine(/nucleus: job (\d+) submitted; waiting for it to finish/);

    master.proc.kill('SIGKILL');
    await master.proc.waitForExit();
    await submit.waitForLine(/nucleus: lost the master while waiting \(.*\); still waiting/, { timeoutMs: 20_000 });
    expect(submit.exit).toBeNull();

    const again = await spawnMaster({ db, port: master.port });
    spawnWorker({ id: 'w1', master: again.address });
    const exit = await submit.waitForExit(60_000);
    expect(exit.code, submit.stderr()).toBe(0);
    expect(JSON.parse(submit.stdout())).toEqual({ hello: 'again' });
    expect(id).toBe('1');
  });

  it('given submit --wait, when the master is gone for longer than the wait, then it exits 3 with one error line that names the job', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const master = await spawnMaster({ db: join(dir.path, 'n.db') });
    const submit = spawnCli(['submit', 'noop', '--wait', '--wait-timeout', '4s', '--master', master.address]);
    await submit.waitForLine(/nucleus: job 1 submitted/);
    master.proc.kill('SIGKILL');
    const exit = await submit.waitForExit(30_000);
    expect(exit.code, submit.stderr()).toBe(3);
    const last = submit.stderr().trimEnd().split('\n').at(-1)!;
    expect(last).toMatch(/^nucleus: job 1 was submitted, but waiting for it failed: .*\(nucleus status 1 shows it\)$/);
  });
});
