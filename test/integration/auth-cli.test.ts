/**
 * Authentication through the built CLI: flags and environment variables reach the master, the
 * client commands and the worker. A refused command prints one line and exits 1; a worker with
 * the wrong token says why and ends (exit 5) without joining.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, waitFor } from '../helpers/cluster.js';
import { killAll, runCli, spawnMaster, spawnWorker, waitForWorkers } from '../helpers/process.js';
import { MasterClient } from '../../src/rpc/client.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';

const CLIENT_TOKEN = 'cli-client-token-0123456789';
const WORKER_TOKEN = 'cli-worker-token-0123456789';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  await killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('auth: the CLI', () => {
  it('given a master started with --token-file and --worker-token, when commands and workers come with no token, the wrong one or the right one, then only the right ones get in, and refusals are one line', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const tokenFile = join(dir.path, 'token');
    writeFileSync(tokenFile, `${CLIENT_TOKEN}\n`);
    const master = await spawnMaster({ db: join(dir.path, 'nucleus.db'), args: ['--token-file', tokenFile, '--worker-token', WORKER_TOKEN] });
    const client = new MasterClient({ address: master.address, token: CLIENT_TOKEN });
    cleanups.push(() => client.close());
    const m = ['--master', master.address];

    // No token: one line, exit 1, nothing written.
    const none = await runCli(['submit', 'echo', '{"n":1}', ...m]);
    expect(none.code).toBe(1);
    expect(none.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(none.stderr).toMatch(/^nucleus: missing token: nucleus\.v1\.JobService on this master requires a token/);
    // The worker token on a client command.
    const asWorker = await runCli(['submit', 'echo', '{"n":1}', ...m, '--token', WORKER_TOKEN]);
    expect(asWorker.code).toBe(1);
    expect(asWorker.stderr.trimEnd()).toBe('nucleus: wrong token: the worker token cannot call nucleus.v1.JobService; use the client token');
    expect((await client.call('getStats', {})).submittedTotal).toBe(0);

    // The right token, by flag and by environment.
    const byFlag = await runCli(['submit', 'echo', '{"n":1}', ...m, '--token', CLIENT_TOKEN]);
    expect(byFlag.code, byFlag.stderr).toBe(0);
    const byEnv = await runCli(['submit', 'echo', '{"n":2}', ...m], { env: { NUCLEUS_TOKEN_FILE: tokenFile } });
    expect(byEnv.code, byEnv.stderr).toBe(0);

    // Workers with the client token or none are refused and say why; one with the worker token runs the jobs.
    const posing = spawnWorker({ id: 'posing', master: master.address, args: ['--token', CLIENT_TOKEN] });
    await posing.waitForLine(/the client token cannot connect as a worker/);
    const anonymous = spawnWorker({ id: 'anonymous', master: master.address });
    await anonymous.waitForLine(/missing token: nucleus\.v1\.WorkerService on this master requires the worker token/);
    spawnWorker({ id: 'w1', master: master.address, args: ['--token', WORKER_TOKEN] });
    await waitForWorkers(client, ['w1']);
    await waitFor(async () => {
      const { counts } = await client.call('getStats', {});
      return counts.find((c) => c.status === JobStatus.JOB_STATUS_COMPLETED)?.count === 2;
    }, 'both jobs to complete');
    expect((await client.call('getStats', {})).workers.map((w) => w.id)).toEqual(['w1']);
  });

  it('given --worker-token or --token given empty, when the master starts, then it exits 2 with one line naming the flag, instead of running with the door open', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const base = ['master', '--db', join(dir.path, 'n.db'), '--port', '0', '--http-port', '0'];
    const worker = await runCli([...base, '--token', CLIENT_TOKEN, '--worker-token', '']);
    expect(worker.code).toBe(2);
    expect(worker.stderr.trimEnd()).toBe('nucleus: --worker-token: is empty; give a token of 16 or more characters, or leave the flag out');
    const client = await runCli([...base, '--token', '']);
    expect(client.code).toBe(2);
    expect(client.stderr.trimEnd()).toBe('nucleus: --token: is empty; give a token of 16 or more characters, or leave the flag out');
    const file = await runCli([...base, '--worker-token-file', '']);
    expect(file.code).toBe(2);
    expect(file.stderr.trimEnd()).toBe('nucleus: --worker-token-file: is empty; give the path of a file that holds the token');
  });

  it('given a master started with --worker-token-file, then the worker token from the file (and only it) opens the worker stream', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const workerTokenFile = join(dir.path, 'worker-token');
    writeFileSync(workerTokenFile, `${WORKER_TOKEN}\n`);
    const master = await spawnMaster({ db: join(dir.path, 'nucleus.db'), args: ['--token', CLIENT_TOKEN, '--worker-token-file', workerTokenFile] });
    expect(master.proc.child.spawnargs.join(' ')).not.toContain(WORKER_TOKEN);
    const client = new MasterClient({ address: master.address, token: CLIENT_TOKEN });
    cleanups.push(() => client.close());
    const posing = spawnWorker({ id: 'posing', master: master.address, args: ['--token', CLIENT_TOKEN] });
    await posing.waitForLine(/the client token cannot connect as a worker/);
    spawnWorker({ id: 'w1', master: master.address, args: ['--token-file', workerTokenFile] });
    await waitForWorkers(client, ['w1']);
    expect((await client.call('getStats', {})).workers.map((w) => w.id)).toEqual(['w1']);
  });

  it('given a token shorter than 16 characters, when the master starts, then it exits 2 with one line naming the flag and the limit', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const { code, stderr } = await runCli(['master', '--db', join(dir.path, 'n.db'), '--port', '0', '--http-port', '0', '--token', 'short']);
    expect(code).toBe(2);
    expect(stderr.trimEnd()).toBe('nucleus: --token: a token must be 16 to 4096 characters (got 5); e.g. openssl rand -hex 32');
  });
});
