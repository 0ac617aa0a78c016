/**
 * Disk trouble, on real filesystems. A full disk is a 4 MiB tmpfs filled with a file; a read-only
 * disk is that tmpfs remounted read-only. (Mounting needs root or passwordless sudo, as the CI
 * script has. `chmod` is no substitute: root ignores permission bits, SQLite keeps writing through
 * the descriptors it already holds, and Linux refuses to remount a filesystem read-only while files
 * on it are open for writing; so the read-only store a master really meets is one it starts on.)
 *
 * What must hold: a submit on a full disk fails RESOURCE_EXHAUSTED and writes no part of its jobs;
 * running jobs' results wait and are applied once space returns, each job completing exactly once;
 * a master restarted on a read-only store serves reads and refuses writes UNAVAILABLE; a store it
 * cannot open at all, or a file that is not Nucleus's, stops it at start with one clear line;
 * `/readyz` is 503 while the disk has no room for a submit, also on a master started there.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startCluster, tempDir, waitFor, type TestCluster } from '../helpers/cluster.js';
import { killAll, runCli, spawnMaster } from '../helpers/process.js';
import { storeSnapshot } from '../chaos/store-snapshot.js';
import { MasterClient } from '../../src/rpc/client.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { createHttpGateway } from '../../src/http/plugin.js';

const cleanups: Array<() => unknown> = [];
let cluster: TestCluster | null = null;
// Every step runs even when an earlier one fails, so that a failed test never leaves a mount behind.
afterEach(async () => {
  const errors: unknown[] = [];
  const attempt = async (step: () => unknown) => {
    try {
      await step();
    } catch (error) {
      errors.push(error);
    }
  };
  await attempt(() => cluster?.close());
  cluster = null;
  await attempt(killAll);
  for (const cleanup of cleanups.splice(0).reverse()) await attempt(cleanup);
  if (errors.length > 0) throw errors[0];
});

/** Runs a privileged command directly as root, else through `sudo -n`; fails with a clear reason. */
function privileged(args: string[]): void {
  const command = process.getuid?.() === 0 ? args : ['sudo', '-n', ...args];
  try {
    execFileSync(command[0], command.slice(1), { stdio: 'pipe' });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    throw new Error(`disk tests mount a small tmpfs and need root or passwordless sudo: \`${command.join(' ')}\` failed: ${stderr}`);
  }
}

/** A fresh tmpfs of `size` in a temp dir, unmounted (and removed) after the test. */
function tmpfs(size: string): { path: string; remount(mode: 'ro' | 'rw'): void } {
  const dir = tempDir('nucleus-disk-');
  privileged(['mount', '-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir.path]);
  cleanups.push(() => {
    try {
      privileged(['umount', dir.path]);
    } catch {
      privileged(['umount', '--lazy', dir.path]); // still busy: detach now, freed when the last file closes
    }
    dir.cleanup();
  });
  return { path: dir.path, remount: (mode) => privileged(['mount', '-o', `remount,${mode}`, dir.path]) };
}

/** Writes to `path` until the filesystem has no block left. */
function fillCompletely(path: string): void {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

const freeBytes = (path: string) => {
  const s = statfsSync(path);
  return s.bavail * s.bsize;
};

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

function client(address: string): MasterClient {
  const c = new MasterClient({ address, timeoutMs: 5_000 });
  cleanups.push(() => c.close());
  return c;
}

describe('disk: full', () => {
  it('given a master whose store is on a nearly full disk with a worker running jobs, when the disk fills up, then submits fail RESOURCE_EXHAUSTED without a partial job; when space returns, submits work again and every acknowledged job completes exactly once', async () => {
    const disk = tmpfs('4m');
    cluster = await startCluster({ dir: disk.path, master: { 'heartbeat-interval': '200ms', 'heartbeat-timeout': '3s' } });
    const executions = new Map<string, number>();
    // The first four jobs hold their slots until the disk is full, so that their results meet a full
    // disk; their results are large, because SQLite reuses the WAL space a failed write left behind
    // and a small result could still fit there.
    let release: () => void = () => undefined;
    const diskFull = new Promise<void>((resolve) => (release = resolve));
    const worker = await cluster.addWorker({ concurrency: 4 }, {
      'disk-job': async (_payload, ctx) => {
        const first = executions.size < 4 && !executions.has(ctx.jobId);
        executions.set(ctx.jobId, (executions.get(ctx.jobId) ?? 0) + 1);
        await diskFull;
        return { pad: 'r'.repeat(first ? 300_000 : 500) };
      },
    });
    await waitFor(() => worker.isConnected, 'the worker to connect');
    const filler = join(disk.path, 'filler');
    writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes(disk.path) - 400_000)));

    // Given producers that submit batches until the disk refuses three in a row.
    const acknowledged: string[] = [];
    const refusals: Array<{ code: string; message: string }> = [];
    let inARow = 0;
    for (let i = 0; i < 2_000 && inARow < 3; i++) {
      try {
        const { results } = await cluster.client.call('submitJobs', { jobs: Array.from({ length: 20 }, () => ({ type: 'disk-job', payload: Buffer.from(JSON.stringify({ pad: 'p'.repeat(2_000) })) })) });
        acknowledged.push(...results.map((r) => r.jobId));
        inARow = 0;
      } catch (error) {
        refusals.push(error as { code: string; message: string });
        inARow++;
      }
    }
    // Then every refusal says the disk is full, and the store holds exactly the acknowledged jobs.
    expect(refusals.length).toBeGreaterThanOrEqual(3);
    for (const r of refusals) {
      expect(r.code).toBe('RESOURCE_EXHAUSTED');
      expect(r.message).toMatch(/^the job store is full \(disk full\)/);
    }
    const full = storeSnapshot(cluster.dbPath);
    expect(full.jobs).toBe(acknowledged.length);
    expect(full.lastId).toBe(acknowledged.length);

    // While it is full to the last block (a small write could still fit where a batch did not), the
    // held jobs finish: their results cannot be recorded, so the jobs stay running.
    const topUp = join(disk.path, 'top-up');
    fillCompletely(topUp);
    const held = await waitFor(() => (executions.size === 4 ? [...executions.keys()] : null), 'four jobs to be running');
    release();
    await waitFor(() => worker.busy === 0 && worker.jobsDone >= 4, 'the held jobs to finish on the worker');
    for (const id of held) expect((await cluster.client.call('getJobStatus', { jobId: id })).job?.status, `job ${id}`).toBe(JobStatus.JOB_STATUS_RUNNING);

    // When space returns, submits work again and the backlog drains.
    rmSync(filler);
    rmSync(topUp);
    const { jobId: after } = await cluster.client.call('submitJob', { job: { type: 'disk-job' } });
    acknowledged.push(after);
    await waitFor(async () => {
      const { counts } = await cluster!.client.call('getStats', {});
      return counts.find((c) => c.status === JobStatus.JOB_STATUS_COMPLETED)?.count === acknowledged.length;
    }, `all ${acknowledged.length} acknowledged jobs to complete`, 60_000, 100);

    // Then each job ran once and has exactly one recorded completion, its last attempt.
    for (const id of acknowledged) {
      const { job } = await cluster.client.call('getJobStatus', { jobId: id });
      const outcomes = job!.attempts.map((a) => a.outcome);
      expect(outcomes.filter((o) => o === 'completed'), `job ${id}: ${outcomes.join(',')}`).toHaveLength(1);
      expect(outcomes.at(-1)).toBe('completed');
      expect(executions.get(id), `job ${id} ran ${executions.get(id)} times`).toBe(1);
    }
  });
});

describe('disk: read-only', () => {
  it('given a master killed on a store whose disk then turns read-only, when it restarts there, then reads work and submits are UNAVAILABLE with the reason, writing nothing; back on a writable disk it takes submits again', async () => {
    const disk = tmpfs('8m');
    const db = join(disk.path, 'nucleus.db');
    let master = await spawnMaster({ db });
    let c = client(master.address);
    for (let i = 0; i < 3; i++) await c.call('submitJob', { job: { type: 'echo' } });
    master.proc.kill('SIGKILL');
    await master.proc.waitForExit();

    disk.remount('ro');
    const httpPort = await freePort();
    master = await spawnMaster({ db, port: master.port, httpPort });
    c = client(master.address);
    expect((await c.call('getJobStatus', { jobId: '3' })).job?.status).toBe(JobStatus.JOB_STATUS_QUEUED);
    const ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reason: string }).reason).toMatch(/^the job store cannot be written \(SQLITE_READONLY/);
    const before = storeSnapshot(db);
    const refused = await c.call('submitJob', { job: { type: 'echo' } }).then(
      () => null,
      (e: { code: string; message: string }) => e,
    );
    expect(refused?.code).toBe('UNAVAILABLE');
    expect(refused?.message).toMatch(/^the job store cannot be written \(SQLITE_READONLY\)/);
    expect(storeSnapshot(db)).toEqual(before);
    master.proc.kill('SIGTERM');
    await master.proc.waitForExit();

    disk.remount('rw');
    master = await spawnMaster({ db, port: master.port });
    c = client(master.address);
    expect((await c.call('submitJob', { job: { type: 'echo' } })).jobId).toBe('4');
  });

  it('given a store left cleanly on a disk that is now read-only, when the master starts there, then it exits non-zero with one line saying the store cannot be opened', async () => {
    const disk = tmpfs('8m');
    const db = join(disk.path, 'nucleus.db');
    const master = await spawnMaster({ db });
    master.proc.kill('SIGTERM');
    await master.proc.waitForExit();
    disk.remount('ro');

    const { code, stdout, stderr } = await runCli(['master', '--db', db, '--port', '0', '--http-port', '0', '--log-level', 'warn']);
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n'), stderr).toHaveLength(1);
    expect(stderr).toMatch(/^nucleus: cannot open the job store .*nucleus\.db read-write \(SQLITE_CANTOPEN/);
  });
});

describe('disk: a file that is not a Nucleus store', () => {
  const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

  async function refusedAtStart(db: string, line: RegExp): Promise<void> {
    const before = sha(db);
    const { code, stdout, stderr } = await runCli(['master', '--db', db, '--port', '0', '--http-port', '0', '--log-level', 'warn']);
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n'), stderr).toHaveLength(1);
    expect(stderr.trimEnd()).toMatch(line);
    expect(sha(db), 'the file was changed').toBe(before);
  }

  it('given a file that is not SQLite, another program\'s SQLite database, or a Nucleus store of a newer schema, when the master starts on it, then it exits non-zero with one line and leaves the file as it was', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);

    const text = join(dir.path, 'notes.txt');
    writeFileSync(text, 'these are my notes, not a database\n'.repeat(200));
    await refusedAtStart(text, /^nucleus: .*notes\.txt is not a Nucleus database \(file is not a database\)$/);

    const foreign = join(dir.path, 'app.db');
    const other = new Database(foreign);
    other.exec(`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('ada')`);
    other.close();
    await refusedAtStart(foreign, /^nucleus: .*app\.db is not a Nucleus database \(it has other tables\); refusing to use it$/);

    const newer = join(dir.path, 'newer.db');
    const master = await spawnMaster({ db: newer });
    master.proc.kill('SIGTERM');
    await master.proc.waitForExit();
    const store = new Database(newer);
    store.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    store.close();
    await refusedAtStart(newer, new RegExp(`^nucleus: .*newer\\.db has schema version ${MIGRATIONS.length + 1}, newer than this build of Nucleus understands \\(${MIGRATIONS.length}\\); upgrade nucleus$`));
  });
});

describe('disk: readiness', () => {
  const readyz = async (port: number) => {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: response.status, body: (await response.json()) as { status: string; reason?: string } };
  };

  it('given a master with its store on a disk that fills up, when /readyz is asked, then it is 503 naming the full disk while submits are refused, and 200 again once space returns', async () => {
    const disk = tmpfs('4m');
    cluster = await startCluster({ dir: disk.path, master: { 'max-payload': '64KiB' }, http: createHttpGateway({ port: 0, processMetrics: false }) });
    const port = cluster.running.httpPort;
    expect((await readyz(port)).status).toBe(200);

    const filler = join(disk.path, 'filler');
    fillCompletely(filler);
    const refused = await cluster.client.call('submitJob', { job: { type: 'echo', payload: Buffer.from(JSON.stringify({ pad: 'p'.repeat(60_000) })) } }).then(
      () => null,
      (e: { code: string }) => e,
    );
    expect(refused?.code).toBe('RESOURCE_EXHAUSTED');
    const full = await readyz(port);
    expect(full.status).toBe(503);
    expect(full.body.reason).toMatch(/^the job store is full \(disk full\): \d+ bytes free on the disk of .*, under the \d+ a submit of the largest job needs$/);

    rmSync(filler);
    expect((await readyz(port)).status).toBe(200);
    expect((await cluster.client.call('submitJob', { job: { type: 'echo' } })).jobId).toBeTruthy();
  });

  it('given a master killed on a store whose disk is then filled, when it restarts there, then /readyz is 503 naming the full disk from the start', async () => {
    const disk = tmpfs('4m');
    const db = join(disk.path, 'nucleus.db');
    let master = await spawnMaster({ db });
    await client(master.address).call('submitJob', { job: { type: 'echo' } });
    master.proc.kill('SIGKILL');
    await master.proc.waitForExit();
    fillCompletely(join(disk.path, 'filler'));

    const httpPort = await freePort();
    master = await spawnMaster({ db, httpPort });
    const answer = await waitFor(() => readyz(httpPort), 'the restarted master to answer /readyz');
    expect(answer.status).toBe(503);
    expect(answer.body.reason).toMatch(/^the job store is full \(disk full\)/);
  });
});
