/**
 * End to end: `nucleus top` in a real 80x24 terminal (tmux) against a master and a worker running
 * as processes. The header must keep its parts apart at 80 columns, and a re-driven job's tries
 * must read as the tries of its current run, not its attempt number over the limit (`3/1`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { json, tempDir, waitFor } from '../helpers/cluster.js';
import { PROJECT_ROOT, killAll, spawnMaster, spawnWorker, waitForWorkers, type MasterProcess } from '../helpers/process.js';
import { requireTmux, terminal } from '../helpers/tmux.js';
import { MasterClient } from '../../src/rpc/client.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';

const SESSION = 'narrow';
const { tmux, keys, onScreen } = terminal(`nucleus-top-narrow-${process.pid}`, SESSION);

let dir: ReturnType<typeof tempDir>;
let master: MasterProcess;
let client: MasterClient;

beforeAll(async () => {
  await requireTmux();
  dir = tempDir();
  master = await spawnMaster({ db: join(dir.path, 'nucleus.db') });
  client = new MasterClient({ address: master.address, timeoutMs: 5_000 });
  spawnWorker({ id: 'nw1', master: master.address });
  await waitForWorkers(client, ['nw1']);
});

afterAll(async () => {
  await tmux('kill-server').catch(() => undefined);
  client?.close();
  await killAll();
  dir?.cleanup();
});

const deadLettered = async (jobId: string, attempts: number) =>
  waitFor(async () => {
    const { job } = await client.call('getJobStatus', { jobId });
    return job?.status === JobStatus.JOB_STATUS_DEAD_LETTER && job.attempt === attempts;
  }, `job ${jobId} dead-lettered after attempt ${attempts}`, 20_000);

describe('system: nucleus top at 80 columns', () => {
  it('Given a job dead-lettered three times with two re-drives between, When top runs at 80x24, Then the header parts stay apart and TRY reads 1/1, not 3/1', async () => {
    // Given: one try allowed (no retries), a handler that always fails, re-driven twice.
    const { jobId } = await client.call('submitJob', { job: { type: 'random_failure', payload: json({ failure_rate: 1 }), maxRetries: 0 } });
    await deadLettered(jobId, 1);
    for (const attempts of [2, 3]) {
      await client.call('retryJob', { jobId });
      await deadLettered(jobId, attempts);
    }

    await tmux('new-session', '-d', '-s', SESSION, '-x', '80', '-y', '24', '-c', PROJECT_ROOT, `env -u NUCLEUS_MASTER node bin/run.js top --master ${master.address}`);
    const first = await onScreen('the header, connected', (s) => /● connected/.test(s));
    const header = first.split('\n').find((l) => l.startsWith('nucleus top'))!;
    // Then: "● connected" is never glued to the key hint ("● connected? help").
    expect(header).not.toMatch(/connected\S/);
    expect(header).toMatch(/● connected( {2,}\? help {2}q quit)?\s*$/);

    // When: the dead_letter tab is chosen, Then the job's tries are those of its last run.
    await keys('5');
    const row = new RegExp(`\\b${jobId} dead_letter .*random_failure +1/1 `);
    const tab = await onScreen('the dead-lettered job with its tries', (s) => row.test(s));
    expect(tab).not.toMatch(/ 3\/1 /);
    await keys('q');
  });
});
