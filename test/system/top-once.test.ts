/**
 * `nucleus top` without a terminal: one snapshot on stdout (text, or JSON with --json), exit 0;
 * an unreachable master is exit code 3 with one line on stderr.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { json, tempDir } from '../helpers/cluster.js';
import { freePort, killAll, runCli, spawnMaster, spawnWorker, waitForWorkers, type MasterProcess } from '../helpers/process.js';
import { MasterClient } from '../../src/rpc/client.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';
import { waitFor } from '../helpers/cluster.js';

let dir: ReturnType<typeof tempDir>;
let master: MasterProcess;
let client: MasterClient;
let sleeper: string;

beforeAll(async () => {
  dir = tempDir();
  master = await spawnMaster({ db: join(dir.path, 'nucleus.db') });
  client = new MasterClient({ address: master.address, timeoutMs: 5_000 });
  spawnWorker({ id: 'snap-w1', master: master.address, args: ['--concurrency', '2'] });
  await waitForWorkers(client, ['snap-w1']);
  await client.call('submitJobs', { jobs: Array.from({ length: 3 }, (_, i) => ({ type: 'fibonacci', payload: json(10 + i) })) });
  sleeper = (await client.call('submitJob', { job: { type: 'sleep', payload: json({ duration: 120 }), timeoutMs: 300_000 } })).jobId;
  await waitFor(async () => (await client.call('getJobStatus', { jobId: sleeper })).job?.status === JobStatus.JOB_STATUS_RUNNING, 'the sleep job to run');
  await waitFor(async () => (await client.call('getStats', {})).finishedTotal >= 3, 'the quick jobs to finish');
});

afterAll(async () => {
  client?.close();
  await killAll();
  dir?.cleanup();
});

describe('system: nucleus top without a terminal', () => {
  it('Given stdout is a pipe, When top runs, Then it prints one text snapshot (overview, queues, workers, running jobs) and exits 0', async () => {
    const { code, stdout, stderr } = await runCli(['top', '--master', master.address]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`nucleus top  master ${master.address}`);
    expect(stdout).toMatch(/completed 3/);
    expect(stdout).toMatch(/│ +default +active +0 /);
    expect(stdout).toMatch(/│ +snap-w1 +\S+ +alive +1\/2 /);
    expect(stdout).toMatch(new RegExp(`${sleeper} running +default +sleep`));
    // No key hints, no terminal control sequences in a snapshot.
    expect(stdout).not.toContain('tab/h/l pane');
    expect(stdout).not.toContain('q quit');
    expect(stdout).not.toContain('›');
    expect(stdout).not.toContain('events reconnecting');
    expect(stdout).not.toContain('\u001b[?1049h');
  });

  it('When top --once --json --status completed --limit 2 runs, Then it prints one JSON document with counts, queues, workers and two jobs', async () => {
    const { code, stdout } = await runCli(['top', '--once', '--json', '--status', 'completed', '--limit', '2', '--master', master.address]);
    expect(code).toBe(0);
    const snap = JSON.parse(stdout);
    expect(snap).toMatchObject({ master: master.address, counts: { completed: 3, running: 1 }, submittedTotal: 4, finishedTotal: 3 });
    expect(snap.queues).toEqual([{ name: 'default', paused: false, counts: expect.objectContaining({ completed: 3, running: 1 }), oldestWaitMs: null }]);
    expect(snap.workers).toEqual([expect.objectContaining({ id: 'snap-w1', alive: true, busy: 1, concurrency: 2, runningJobIds: [sleeper] })]);
    expect(snap.jobs.status).toBe('completed');
    expect(snap.jobs.rows).toHaveLength(2);
    expect(snap.jobs.more).toBe(true);
  });

  it('Given no master at the address, When top --once runs, Then it exits 3 with one line on stderr', async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await runCli(['top', '--once', '--master', `127.0.0.1:${port}`, '--rpc-timeout', '3s']);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr.trimEnd()).toMatch(new RegExp(`^nucleus: cannot reach the master at 127\\.0\\.0\\.1:${port}[^\\n]*$`));
  });

  it('Given a status that is not one, When top --once --status runs, Then it is a usage error naming the flag', async () => {
    const { code, stderr } = await runCli(['top', '--once', '--status', 'sleeping', '--master', master.address]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--status/);
  });
});
