/**
 * System test of the CLI as a user meets it: the built `nucleus` executable against a master and a
 * worker running as processes. Exit codes (0 ok, 1 failed/refused, 2 usage, 3 unreachable,
 * 4 not found), one-line errors without stack traces, and `--json` that always parses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { tempDir, waitFor } from '../helpers/cluster.js';
import { freePort, killAll, runCli, spawnMaster, spawnWorker, waitForWorkers, type MasterProcess } from '../helpers/process.js';
import { MasterClient } from '../../src/rpc/client.js';

let dir: ReturnType<typeof tempDir>;
let master: MasterProcess;
let client: MasterClient;

beforeAll(async () => {
  dir = tempDir();
  master = await spawnMaster({ db: join(dir.path, 'nucleus.db') });
  client = new MasterClient({ address: master.address, timeoutMs: 5_000 });
  spawnWorker({ id: 'w1', master: master.address, args: ['--queues', 'default,held'] });
  await waitForWorkers(client, ['w1']);
});

afterAll(async () => {
  client?.close();
  await killAll();
  dir?.cleanup();
});

/** Runs a client command against the test master. */
const nucleus = (...args: string[]) => runCli([...args, '--master', master.address]);
const parseJson = (text: string) => JSON.parse(text) as Record<string, any>;
const STACK_FRAME = /^\s+at .+:\d+/m;

/** Submits a job and returns its id (the human output is the bare id). */
async function submitted(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await nucleus('submit', ...args);
  expect(code, stderr).toBe(0);
  expect(stdout.trim()).toMatch(/^\d+$/);
  return stdout.trim();
}

describe('system: CLI errors', () => {
  it('given no master at the address, when a client command runs, then it prints exactly one line on stderr and exits 3', async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await runCli(['status', '1', '--master', `127.0.0.1:${port}`, '--rpc-timeout', '3s']);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`^nucleus: cannot reach the master at 127\\.0\\.0\\.1:${port}`));
    expect(stderr).not.toMatch(STACK_FRAME);

    // And under --json the error is a JSON document on stdout, with the same exit code.
    const asJson = await runCli(['stats', '--json', '--master', `127.0.0.1:${port}`, '--rpc-timeout', '3s']);
    expect(asJson.code).toBe(3);
    expect(parseJson(asJson.stdout).error.code).toBe('UNAVAILABLE');
    expect(parseJson(asJson.stdout).error.message).toContain('cannot reach the master');
  });

  it.each([
    ['a priority over 10', ['submit', 'fibonacci', '30', '--priority', '11'], '--priority'],
    ['a malformed job id', ['status', 'abc'], 'id'],
    ['an unknown status in list', ['list', '--status', 'bogus'], '--status'],
    ['a malformed id to cancel', ['cancel', '-5'], 'id'],
  ])('given %s, when the command runs, then it exits 2 naming the field, in text and in JSON', async (_what, args, field) => {
    const text = await nucleus(...args);
    expect(text.code).toBe(2);
    expect(text.stderr).toContain(field);
    expect(text.stderr).not.toMatch(STACK_FRAME);

    const json = await nucleus(...args, '--json');
    expect(json.code).toBe(2);
    const error = parseJson(json.stdout).error;
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(field);
  });

  it('given an id no job has, when status runs, then it exits 4', async () => {
    const { code, stderr } = await nucleus('status', '987654');
    expect(code).toBe(4);
    expect(stderr).toMatch(/^nucleus: .*987654.*not found\n$/);
  });
});

describe('system: CLI commands against a running master', () => {
  it('given a worker, when `submit fibonacci 30 --wait` runs, then it prints "832040", in text and in JSON', async () => {
    const text = await nucleus('submit', 'fibonacci', '30', '--wait');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe('"832040"\n');

    const json = await nucleus('submit', 'fibonacci', '30', '--wait', '--json');
    expect(json.code, json.stderr).toBe(0);
    const job = parseJson(json.stdout);
    expect(job).toMatchObject({ status: 'completed', type: 'fibonacci', result: '832040', finished: true });
  });

  it('given a completed job, when status, result, cancel and list run, then they show it and cancel is refused with exit 1', async () => {
    // Given a job that has completed.
    const id = await submitted('echo', '{"message":"hello"}');
    const result = await nucleus('result', id, '--wait', '--wait-timeout', '10s');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ message: 'hello' });

    // When its status is asked, then it is completed, by w1, in one attempt.
    const status = await nucleus('status', id, '--json');
    expect(status.code).toBe(0);
    expect(parseJson(status.stdout)).toMatchObject({ id, status: 'completed', workerId: 'w1', attempts: [{ number: 1, outcome: 'completed' }] });
    const human = await nucleus('status', id);
    expect(human.stdout).toMatch(new RegExp(`job ${id}\\s+echo\\s+completed`));

    // When it is cancelled, then the master refuses: exit 1, the message says it already completed.
    const cancel = await nucleus('cancel', id);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toMatch(/^nucleus: .*already completed/);
    expect(cancel.stderr.trimEnd().split('\n')).toHaveLength(1);
    const cancelJson = await nucleus('cancel', id, '--json');
    expect(cancelJson.code).toBe(1);
    expect(parseJson(cancelJson.stdout).error.code).toBe('FAILED_PRECONDITION');

    // When completed jobs are listed, then it is among them, and only completed jobs are.
    const list = await nucleus('list', '--status', 'completed', '--limit', '1000', '--json');
    expect(list.code).toBe(0);
    const jobs = parseJson(list.stdout).jobs as Array<{ id: string; status: string }>;
    expect(jobs.map((j) => j.id)).toContain(id);
    expect(new Set(jobs.map((j) => j.status))).toEqual(new Set(['completed']));
  });

  it('given a job that fails without retry, when it is waited for and then retried, then --wait exits 1 and retry runs it again', async () => {
    const failed = await nucleus('submit', 'fibonacci', '"not a number"', '--wait', '--json');
    expect(failed.code).toBe(1);
    const job = parseJson(failed.stdout);
    expect(job.status).toBe('failed');
    expect(job.error).toContain('payload');

    const retry = await nucleus('retry', job.id);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toContain(`job ${job.id} queued again`);
    // The re-driven job runs again (and fails again: its payload is still bad), keeping its history.
    const again = await waitFor(async () => {
      const { stdout } = await nucleus('status', job.id, '--json');
      const view = parseJson(stdout);
      return view.status === 'failed' && view.attempts.length === 2 ? view : null;
    }, 'the retried job to run a second time');
    expect(again.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['fatal', 'fatal']);
  });

  it('given a paused queue, when a job is submitted, cancelled, retried and the queue resumed, then the job waits, is cancelled, comes back and completes', async () => {
    // Given the queue `held` is paused.
    const pause = await nucleus('pause', 'held');
    expect(pause.code, pause.stderr).toBe(0);
    expect(pause.stdout).toBe('queue held paused\n');

    // When a job is submitted to it, then it stays queued (no worker takes it) and stats show the pause.
    const id = await submitted('echo', '"held back"', '--queue', 'held');
    const stats = await nucleus('stats', '--json');
    expect(stats.code).toBe(0);
    const view = parseJson(stats.stdout);
    expect(view.queues.find((q: { name: string }) => q.name === 'held')).toMatchObject({ paused: true, counts: { queued: 1 } });
    expect(view.workers.map((w: { id: string }) => w.id)).toContain('w1');
    const humanStats = await nucleus('stats');
    expect(humanStats.stdout).toContain('queue held (paused)');

    // When it is cancelled, then it is cancelled.
    const cancel = await nucleus('cancel', id);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(parseJson((await nucleus('status', id, '--json')).stdout).status).toBe('cancelled');

    // When it is retried, then it is queued again (the queue is still paused).
    const retry = await nucleus('retry', id, '--json');
    expect(retry.code, retry.stderr).toBe(0);
    expect(parseJson(retry.stdout)).toEqual({ retried: 1, jobIds: [id] });
    expect(parseJson((await nucleus('status', id, '--json')).stdout).status).toBe('queued');

    // When the queue is resumed, then the job completes.
    const resume = await nucleus('resume', 'held', '--json');
    expect(resume.code, resume.stderr).toBe(0);
    expect(parseJson(resume.stdout)).toEqual({ queue: 'held', paused: false });
    const result = await nucleus('result', id, '--wait', '--wait-timeout', '10s');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('"held back"\n');
  });
});

describe('system: nucleus dev --demo', () => {
  it('given nothing running, when `nucleus dev --demo` runs, then it prints the four demo results and exits 0', async () => {
    const { code, stdout, stderr } = await runCli(['dev', '--demo', '--port', '0', '--http-port', '0', '--db', join(dir.path, 'dev.db')], { timeoutMs: 30_000 });
    expect(code, stderr).toBe(0);
    const results = [...stdout.matchAll(/^ {2}job \d+ (\w+) in \d+ ms: (.*)$/gm)].map((m) => [m[1], m[2]]);
    expect(results).toEqual([
      ['completed', '"2880067194370816120"'],
      ['completed', '{"message":"hello from nucleus"}'],
      ['completed', '4294967296'],
      ['completed', '{"slept":0.2}'],
    ]);
  });

  it('given the warm-ups are gone from the product, when master, worker or dev is given --warm-up or NUCLEUS_WARM_UP, then the flag is refused as unknown and the variable does not exist in their help', async () => {
    for (const command of ['master', 'worker', 'dev']) {
      const { code, stderr } = await runCli([command, '--warm-up', '0'], { timeoutMs: 30_000 });
      expect(code, stderr).toBe(2);
      expect(stderr).toMatch(/Nonexistent flag: --warm-up/);
      const help = await runCli([command, '--help'], { timeoutMs: 30_000 });
      expect(help.code).toBe(0);
      expect(help.stdout).not.toMatch(/warm|NUCLEUS_WARM_UP/i);
    }
  });
});
