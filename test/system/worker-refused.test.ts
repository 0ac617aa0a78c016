/**
 * System test: a worker that the master refuses for a reason no retry can fix (a wrong or
 * missing token, an id held by another live worker) ends with one line and exit 5 instead of
 * reconnecting forever; a bad --id or --queues is a usage error (exit 2) before it connects.
 * A worker whose master is merely away keeps reconnecting.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { tempDir } from '../helpers/cluster.js';
import { freePort, killAll, runCli, spawnMaster, spawnWorker, waitForWorkers } from '../helpers/process.js';
import { MasterClient } from '../../src/rpc/client.js';

const TOKEN = 'refused-test-token-0123456789';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  await killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The worker's output without its log lines (JSON). */
const plain = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('{'));

describe('system: permanent worker refusals', () => {
  it('given a master with a token, when a worker comes with none or the wrong one, then it exits 5 with one line saying why, instead of reconnecting', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const master = await spawnMaster({ db: join(dir.path, 'n.db'), args: ['--token', TOKEN] });
    const none = spawnWorker({ id: 'w1', master: master.address });
    expect((await none.waitForExit(20_000)).code, none.stderr()).toBe(5);
    expect(plain(none.stderr())).toHaveLength(1);
    expect(none.stderr()).toMatch(new RegExp(`^nucleus: the master at ${master.address} refused this worker: missing token: nucleus\\.v1\\.WorkerService on this master requires the worker token`, 'm'));
    const wrong = spawnWorker({ id: 'w1', master: master.address, args: ['--token', 'not-the-token-0123456789'] });
    expect((await wrong.waitForExit(20_000)).code, wrong.stderr()).toBe(5);
    expect(plain(wrong.stderr())).toHaveLength(1);
    expect(wrong.stderr()).toMatch(new RegExp(`^nucleus: the master at ${master.address} refused this worker: wrong token`, 'm'));
  });

  it('given a live worker w1, when a second process starts as w1, then the second exits 5 with one line naming the host and pid of the first', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const master = await spawnMaster({ db: join(dir.path, 'n.db') });
    const client = new MasterClient({ address: master.address });
    cleanups.push(() => client.close());
    const first = spawnWorker({ id: 'w1', master: master.address });
    await waitForWorkers(client, ['w1']);
    const second = spawnWorker({ id: 'w1', master: master.address });
    expect((await second.waitForExit(20_000)).code, second.stderr()).toBe(5);
    const lines = plain(second.stderr());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^nucleus: the master at ${master.address} refused this worker: worker id "w1" is in use by pid ${first.pid} on host ${hostname()}`));
    expect(first.exit).toBeNull();
  });

  it('given a bad --id or --queues, when the worker starts, then it exits 2 with one line naming the flag, without connecting', async () => {
    const badId = await runCli(['worker', '--id', 'bad id!', '--master', '127.0.0.1:1']);
    expect(badId.code).toBe(2);
    expect(badId.stderr.trimEnd()).toBe('nucleus: --id: must use only letters, digits and _ . : - (got "bad id!")');
    const badQueue = await runCli(['worker', '--id', 'w1', '--queues', 'ok,no way', '--master', '127.0.0.1:1']);
    expect(badQueue.code).toBe(2);
    expect(badQueue.stderr.trimEnd()).toBe('nucleus: --queues: must use only letters, digits and _ . : - (got "no way")');
  });

  it('given no master at the address, then the worker keeps reconnecting (a master may come), and connects when one starts there', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const port = await freePort();
    const worker = spawnWorker({ id: 'w1', master: `127.0.0.1:${port}` });
    await worker.waitForLine(/lost the master; reconnecting/, { timeoutMs: 20_000 });
    const master = await spawnMaster({ db: join(dir.path, 'n.db'), port });
    const client = new MasterClient({ address: master.address });
    cleanups.push(() => client.close());
    await waitForWorkers(client, ['w1'], 30_000);
    expect(worker.exit).toBeNull();
  });
});
