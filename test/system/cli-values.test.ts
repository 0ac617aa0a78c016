/**
 * System test of loose values a user types by mistake, through the built CLI against a master
 * process: a payload that starts like JSON but is not, durations without a unit, a zero timeout,
 * an empty queue name, and pausing a queue the master has never seen. Each is refused (exit 2,
 * naming the flag) and nothing is written, or, for the pause, done with a warning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/cluster.js';
import { PROJECT_ROOT, killAll, runCli, spawnMaster, spawnWorker, waitForWorkers, type MasterProcess } from '../helpers/process.js';
import { MasterClient } from '../../src/rpc/client.js';

let dir: ReturnType<typeof tempDir>;
let master: MasterProcess;
let client: MasterClient;

beforeAll(async () => {
  dir = tempDir();
  master = await spawnMaster({ db: join(dir.path, 'nucleus.db') });
  client = new MasterClient({ address: master.address, timeoutMs: 5_000 });
});

afterAll(async () => {
  client?.close();
  await killAll();
  dir?.cleanup();
});

const nucleus = (...args: string[]) => runCli([...args, '--master', master.address]);
const submittedSoFar = async () => Number((await client.call('getStats', {})).submittedTotal);

describe('system: payloads that start like JSON must be JSON', () => {
  it.each([
    ['{"a":', 'line 1, column 6 (position 5)'],
    ['{bad json}', 'line 1, column 2 (position 1)'],
    ['[1, 2', 'line 1, column 6 (position 5)'],
    ['"unterminated', 'position'],
  ])('given the payload %s, when submitted, then it exits 2 naming the position and writes nothing', async (payload, where) => {
    const before = await submittedSoFar();
    const { code, stdout, stderr } = await nucleus('submit', 'echo', payload);
    expect(code, stderr).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^nucleus: payload: not valid JSON at /);
    expect(stderr).toContain(where);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(await submittedSoFar()).toBe(before);
  });

  it('given a bare word, when submitted, then it is stored as a JSON string', async () => {
    const { code, stdout, stderr } = await nucleus('submit', 'echo', 'hello', '--json');
    expect(code, stderr).toBe(0);
    const { job } = await client.call('getJobStatus', { jobId: JSON.parse(stdout).id });
    expect(Buffer.from(job!.payload).toString()).toBe('"hello"');
  });
});

describe('system: payloads over the master\'s limit', () => {
  it.each([
    ['1.06 MB', 1_060_000, /^nucleus: job\.payload: 1060000 bytes is over the limit of 1048576 bytes \(--max-payload\)$/],
    // Over the default limit, the CLI asks the master for its limit and refuses before sending.
    ['2 MB (checked before sending)', 2_000_000, /^nucleus: job\.payload: 2000000 bytes is over the limit of 1048576 bytes \(--max-payload\)$/],
  ])('given a payload of %s, when submitted, then one line names --max-payload and the limit, exit 2, nothing written', async (_what, bytes, line) => {
    const file = join(dir.path, `payload-${bytes}`);
    writeFileSync(file, Buffer.alloc(bytes, 'a'));
    const before = await submittedSoFar();
    const { code, stderr } = await nucleus('submit', 'echo', '--payload-file', file);
    expect(code).toBe(2);
    expect(stderr.trimEnd().split('\n'), stderr).toHaveLength(1);
    expect(stderr.trimEnd()).toMatch(line);
    expect(await submittedSoFar()).toBe(before);
  });
});

describe('system: durations need a unit, zero and empty values are refused', () => {
  it.each([
    [['--delay', '5'], '--delay: "5" has no unit; write 5s or 5000ms'],
    [['--timeout', '30'], '--timeout: "30" has no unit; write 30s or 30000ms'],
    [['--timeout', '0'], '--timeout: must be greater than zero'],
    [['--timeout', '0s'], '--timeout: must be greater than zero'],
    [['--backoff', '0,1h'], '--backoff: must be greater than zero'],
    [['--queue', ''], '--queue: must not be empty'],
    [['--wait', '--wait-timeout', '10'], '--wait-timeout: "10" has no unit'],
  ])('given submit %j, then it exits 2 with the message, and nothing is written', async (flags, message) => {
    const before = await submittedSoFar();
    const { code, stderr } = await nucleus('submit', 'noop', ...flags);
    expect(code, stderr).toBe(2);
    expect(stderr).toContain(`nucleus: ${message}`);
    expect(await submittedSoFar()).toBe(before);
  });

  it('given a bare number for the master\'s --heartbeat-timeout, then the master refuses to start, exit 2', async () => {
    const { code, stderr } = await runCli(['master', '--port', '0', '--http-port', '0', '--db', join(dir.path, 'other.db'), '--heartbeat-timeout', '10']);
    expect(code).toBe(2);
    expect(stderr).toContain('--heartbeat-timeout: "10" has no unit; write 10s or 10000ms');
  });
});

describe('system: pausing a queue that has no jobs', () => {
  it('given a queue with jobs and a typo of it, when pause runs on the typo, then it pauses, exits 0 and warns naming the likely queue', async () => {
    expect((await nucleus('submit', 'noop', '--queue', 'emails', '--delay', '1h')).code).toBe(0);
    const { code, stdout, stderr } = await nucleus('pause', 'emials');
    expect(code, stderr).toBe(0);
    expect(stdout.trim()).toBe('queue emials paused');
    expect(stderr).toContain('nucleus: warning: queue emials has no jobs (did you mean emails?)');
    expect(stderr).toContain('paused it anyway');
    const stats = await client.call('getStats', {});
    expect(stats.queues.find((q) => q.name === 'emials')?.paused).toBe(true);

    // A queue with jobs: no warning.
    const known = await nucleus('pause', 'emails');
    expect(known.code).toBe(0);
    expect(known.stderr).toBe('');
    // Under --json stdout stays one document; the warning is on stderr and in the document.
    const asJson = await nucleus('resume', 'emials', '--json');
    expect(JSON.parse(asJson.stdout)).toMatchObject({ queue: 'emials', paused: false, warning: expect.stringContaining('has no jobs') });
  });
});

describe('system: a store in a directory that cannot be written', () => {
  it('given a read-only directory and a user who cannot write it, when the master starts there, then one line says so as the README does, exit non-zero', async () => {
    // Root may write anywhere, so the master runs as nobody (setpriv), with a HOME of its own.
    const ro = tempDir('nucleus-ro-');
    const home = tempDir('nucleus-home-');
    try {
      chmodSync(ro.path, 0o555);
      chmodSync(home.path, 0o777);
      const child = spawnSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(PROJECT_ROOT, 'bin', 'run.js'), 'master', '--port', '0', '--http-port', '0', '--db', join(ro.path, 'nucleus.db')],
        { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: home.path, CI: 'true' }, timeout: 30_000 },
      );
      expect(child.status).not.toBe(0);
      expect(child.stderr.trimEnd().split('\n'), child.stderr).toHaveLength(1);
      expect(child.stderr).toBe(`nucleus: cannot open the job store ${join(ro.path, 'nucleus.db')} read-write (SQLITE_CANTOPEN: unable to open database file); check that the file and its directory are writable\n`);
    } finally {
      ro.cleanup();
      home.cleanup();
    }
  });
});

describe('system: a job type no connected worker handles', () => {
  it('given a worker of the built-in types, when `submit fibonaci` runs, then it is accepted with a warning on stderr, and status and top --once say it is waiting', async () => {
    spawnWorker({ id: 'types-w1', master: master.address });
    await waitForWorkers(client, ['types-w1']);
    const { code, stdout, stderr } = await nucleus('submit', 'fibonaci', '30');
    expect(code, stderr).toBe(0);
    const id = stdout.trim();
    expect(id).toMatch(/^\d+$/);
    expect(stderr).toBe('nucleus: warning: no connected worker handles `fibonaci` (did you mean `fibonacci`?); the job waits until one connects\n');

    const status = await nucleus('status', id);
    expect(status.stdout).toContain('waiting: no connected worker handles `fibonaci`');
    const asJson = await nucleus('status', id, '--json');
    expect(JSON.parse(asJson.stdout).waiting).toBe('no connected worker handles `fibonaci`');

    const top = await nucleus('top', '--once', '--status', 'queued');
    expect(top.code, top.stderr).toBe(0);
    expect(top.stdout).toMatch(new RegExp(`\\b${id} +queued .*fibonaci .*waiting: no connected worker handles`));

    // A type a worker handles: no warning.
    const fine = await nucleus('submit', 'fibonacci', '10');
    expect(fine.stderr).toBe('');
  });
});
