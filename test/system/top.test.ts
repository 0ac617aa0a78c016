/**
 * End to end: `nucleus top` in a real terminal (tmux, 160x50) against a master and two workers
 * running as processes, driven from the keyboard and read from the screen. Needs tmux and the
 * built CLI (`npm run build`).
 *
 * With WRITE_DOCS=1 the screens it reads are written to docs/top.txt for the README.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { json, tempDir, waitFor } from '../helpers/cluster.js';
import { PROJECT_ROOT, killAll, spawnMaster, spawnWorker, waitForWorkers, type MasterProcess } from '../helpers/process.js';
import { requireTmux, terminal } from '../helpers/tmux.js';
import { MasterClient } from '../../src/rpc/client.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';

const SESSION = 'top';
const { tmux, keys, text, onScreen } = terminal(`nucleus-top-test-${process.pid}`, SESSION);

let dir: ReturnType<typeof tempDir>;
let master: MasterProcess;
let client: MasterClient;
let producing = true;
let producer: Promise<void> = Promise.resolve();

/** Submits a small mixed load until stopped, so that the counts on screen keep moving. */
async function produce(): Promise<void> {
  for (let round = 0; producing; round++) {
    const jobs = [
      ...Array.from({ length: 8 }, (_, i) => ({ type: 'fibonacci', payload: json(20 + i), queue: 'default' })),
      ...Array.from({ length: 4 }, (_, i) => ({ type: 'echo', payload: json({ to: `user${i}@example.com` }), queue: 'emails' })),
      { type: 'random_failure', payload: json({ failure_rate: 0.5 }), queue: 'default', maxRetries: 1, backoffBaseMs: 500 },
      { type: 'math', payload: json({ operation: 'div', a: round, b: 0 }), queue: 'reports' },
      ...(round % 4 === 0 ? [{ type: 'sleep', payload: json({ duration: 3 }), queue: 'default' }] : []),
    ];
    await client.call('submitJobs', { jobs }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  await requireTmux();
  dir = tempDir();
  master = await spawnMaster({ db: join(dir.path, 'nucleus.db') });
  client = new MasterClient({ address: master.address, timeoutMs: 5_000 });
  for (const id of ['e2e-w1', 'e2e-w2']) spawnWorker({ id, master: master.address, args: ['--queues', 'default,emails,reports,slow', '--concurrency', '4'] });
  await waitForWorkers(client, ['e2e-w1', 'e2e-w2']);
  // A paused queue with work waiting, so that the queues pane has something to show.
  await client.call('pauseQueue', { queue: 'nightly', paused: true });
  await client.call('submitJobs', { jobs: Array.from({ length: 5 }, () => ({ type: 'noop', queue: 'nightly', payload: json(null) })) });
  producer = produce();
});

afterAll(async () => {
  producing = false;
  await producer;
  await tmux('kill-server').catch(() => undefined);
  client?.close();
  await killAll();
  dir?.cleanup();
});

describe('system: nucleus top in a terminal', () => {
  it('Given a live cluster, When top runs in a 160x50 terminal, Then workers are listed, counts move, a job cancelled from the keyboard ends cancelled, and a dead-lettered one is re-driven', async () => {
    // A long job in a queue of its own: the one to cancel.
    const { jobId: victim } = await client.call('submitJob', { job: { type: 'sleep', queue: 'slow', payload: json({ duration: 600 }), timeoutMs: 900_000 } });
    await waitFor(async () => (await client.call('getJobStatus', { jobId: victim })).job?.status === JobStatus.JOB_STATUS_RUNNING, 'the long job to run');

    await tmux('new-session', '-d', '-s', SESSION, '-x', '160', '-y', '50', '-c', PROJECT_ROOT, `env -u NUCLEUS_MASTER node bin/run.js top --master ${master.address}`);

    // Then: the overview, and both workers alive with their slots.
    const first = await onScreen('the workers and the connection', (s) => /● connected/.test(s) && /e2e-w1 .* alive/.test(s) && /e2e-w2 .* alive/.test(s));
    expect(first).toContain(`nucleus top  master ${master.address}`);
    expect(first).toMatch(/│ +nightly +paused +5 /);

    // Then: counts move (the finished total grows between two readings).
    const finished = (s: string) => Number(/finished ([\d,]+)/.exec(s)?.[1].replace(/,/g, '') ?? NaN);
    const before = finished(first);
    expect(Number.isFinite(before)).toBe(true);
    await onScreen('the finished count to grow', (s) => finished(s) > before);

    // When: the running tab is chosen, the long job is there.
    await keys('2');
    const runningRow = new RegExp(`\\b${victim} running +slow +sleep `);
    await onScreen('the long job in the running tab', (s) => runningRow.test(s));
    // A minute's worth of throughput is not needed; a few seconds make the sparkline readable.
    const main = await onScreen('a sparkline with some history', (s) => /[▁▂▃▄▅▆▇█]{8}/.test(s) && runningRow.test(s), 30_000);

    // When: filtered to its queue, opened with Enter, cancelled with c and confirmed with y.
    await keys('/');
    await text('queue:slow');
    await keys('Enter');
    await onScreen('only the long job listed, under the cursor', (s) => new RegExp(`› +${victim} running +slow`).test(s) && !/ fibonacci /.test(s));
    await keys('Enter');
    const detail = await onScreen('the job detail', (s) => new RegExp(`Job ${victim}  sleep  running`).test(s) && /"duration": 600/.test(s));
    expect(detail).toMatch(/#1 e2e-w\d/);
    await keys('c');
    await onScreen('the confirmation', (s) => s.includes(`Cancel job ${victim} (sleep, running)? y/n`));
    await keys('y');
    await onScreen('the result of the cancel', (s) => new RegExp(`job ${victim}( cancelled|: cancel sent)`).test(s));

    // Then: the store has it cancelled, and the screen shows it.
    await waitFor(async () => (await client.call('getJobStatus', { jobId: victim })).job?.status === JobStatus.JOB_STATUS_CANCELLED, 'the job cancelled in the store');
    await onScreen('the detail showing cancelled', (s) => new RegExp(`Job ${victim}  sleep  cancelled`).test(s));

    // When: back to the list, the dead_letter tab, a job opened: its attempts and their errors;
    // R and y send it back to the queue.
    await keys('Escape');
    await onScreen('the list again', (s) => s.includes('/queue:slow') && !s.includes(`Job ${victim}`));
    await keys('Escape');
    await onScreen('the filter cleared', (s) => !s.includes('/queue:slow'));
    await keys('5');
    await onScreen('dead-lettered jobs', (s) => /› +\d+ dead_letter +default +random_failure/.test(s));
    await keys('Enter');
    const failedDetail = await onScreen('a dead-lettered job with its attempts', (s) => /Job \d+  random_failure  dead_letter/.test(s) && /#2 e2e-w\d .* error +random failure \(rate 0\.5\)/.test(s));
    const redriven = /Job (\d+)  random_failure/.exec(failedDetail)![1];
    await keys('R');
    await onScreen('the retry confirmation', (s) => s.includes(`Retry job ${redriven} (random_failure, dead_letter)? y/n`));
    await keys('y');
    await onScreen('the result of the retry', (s) => s.includes(`job ${redriven} queued again`));
    await waitFor(async () => (await client.call('getJobStatus', { jobId: redriven })).job!.attempts.length >= 3, 'the re-driven job to run again');

    if (process.env.WRITE_DOCS === '1') {
      const trim = (s: string) => s.split('\n').map((l) => l.trimEnd()).join('\n').trimEnd();
      writeFileSync(join(PROJECT_ROOT, 'docs', 'top.txt'), `${trim(main)}\n\n${trim(failedDetail)}\n`);
    }

    // When: q is pressed, Then top exits and the session closes.
    await keys('Escape');
    await keys('q');
    await waitFor(async () => !(await tmux('has-session', '-t', SESSION).then(() => true, () => false)), 'top to exit on q');
  });
});
