/**
 * The presentational App of `nucleus top`, rendered with ink-testing-library from a fixed cluster
 * snapshot and a fake actions object: what each pane shows, and what each key does.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render } from 'ink-testing-library';
import { App } from '../../../src/tui/components/App.js';
import { renderSnapshot } from '../../../src/tui/snapshot.js';
import { clusterData, detail, fakeActions, job, NOW, QUEUED_JOBS, type FakeActions } from './fixture.js';
import type { ClusterData } from '../../../src/tui/model.js';

const SIZE = { columns: 100, rows: 40 };
const KEY = { down: '\u001b[B', up: '\u001b[A', enter: '\r', esc: '\u001b', tab: '\t', shiftTab: '\u001b[Z', backspace: '\u007f' };

function mount(data: ClusterData = clusterData(), actions: FakeActions = fakeActions()) {
  const r = render(<App data={data} actions={actions} size={SIZE} now={() => NOW} noticeMs={5_000} />);
  return {
    actions,
    frame: () => r.lastFrame() ?? '',
    /** The line of the screen holding `text`. */
    line: (text: string) => (r.lastFrame() ?? '').split('\n').find((l) => l.includes(text)) ?? '',
    /** Rows with the cursor mark. */
    marked: () => (r.lastFrame() ?? '').split('\n').filter((l) => l.includes('›')),
    statusBar: () => (r.lastFrame() ?? '').split('\n').at(-1) ?? '',
    async press(...keys: string[]) {
      for (const k of keys) {
        r.stdin.write(k);
        await settle();
      }
    },
    rerender: (next: ClusterData) => r.rerender(<App data={next} actions={actions} size={SIZE} now={() => NOW} noticeMs={5_000} />),
    unmount: r.unmount,
  };
}

/**
 * Lets Ink's input parser (a lone Esc waits one tick for the rest of a sequence) and React's
 * scheduler (effects) run: both use setImmediate, which stays real; timers are fake.
 */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('panes', () => {
  it('Given a cluster snapshot, Then the overview shows master, version, uptime, connection, counts, rates and queue wait', () => {
    const s = mount();
    expect(s.line('nucleus top')).toMatch(/master 10\.1\.2\.3:50051 {2}v9\.8\.7 {2}up 1h2m {2}● connected/);
    expect(s.line('jobs ')).toMatch(/jobs {2}4,345: {2}queued 12 {2}running 3 {2}retrying 1 {2}scheduled 0 {2}dead_letter 1 {2}failed 2/);
    expect(s.line('rate')).toMatch(/in 250\/s {2}out 249\/s +▁▁▂▄▇█ out\/s, 1 min {3}queue wait p50 12ms {2}p95 87ms/);
  });

  it('Then the queues pane shows each queue: state, depth by status, finish rate, oldest wait', () => {
    const s = mount();
    // At 100 columns the scheduled, retrying and cancelled columns give way to the rest.
    expect(s.line('QUEUES')).toMatch(/QUEUES +STATE +QUEUED +RUNNING +DONE +FAILED +DEAD +OUT OLDEST WAIT/);
    expect(s.line(' default ')).toMatch(/default +active +9 +3 +4,000 +2 +0 +241\/s 1m5s/);
    expect(s.line(' emails ')).toMatch(/emails +paused +3 +0 +321 +0 +1 +8\.0\/s 4s/);
  });

  it('Then the workers pane shows id, host:pid, alive or dead, busy/total slots, heartbeat age, jobs done, running jobs', () => {
    const s = mount();
    expect(s.line('w-alpha')).toMatch(/w-alpha +node-a:4242 +alive +2\/4 +1\.5s +2,100 201 202/);
    expect(s.line('w-beta ')).toMatch(/w-beta +node-b:77 +dead +1\/8 +12s +2,229 203/);
  });

  it('Then the jobs pane shows the status tabs with counts and the page of jobs, cursor on the first', () => {
    const s = mount();
    // Narrow: short tab names (the overview has the counts); the right end tells how many are listed.
    expect(s.line('1 queued')).toMatch(/1 queued {2}2 running {2}3 retry {2}4 sched {2}5 dead {2}6 failed {2}7 done {2}8 cancel +12 │$/);
    expect(s.line('JOBS STATUS')).toMatch(/JOBS STATUS +QUEUE +TYPE +TRY WORKER +AGE PROGRESS \/ ERROR/);
    expect(s.line(' 101 ')).toMatch(/› +101 queued +emails +fibonacci +0\/4 - +5s/);
    for (const id of ['102', '112']) expect(s.frame()).toContain(` ${id} queued`);
    expect(s.marked()).toHaveLength(1);
  });

  it('Given jobs re-driven after dead_letter, Then TRY shows the tries of the current run, never more than its limit', async () => {
    const s = mount();
    await s.press('2');
    // Attempt 6 after two re-drives of a job allowed 4 tries: it is on its 2nd try of this run.
    const rows = [job(8, { status: 'running', attempt: 6, failures: 1, workerId: 'w-alpha' })];
    s.rerender(clusterData({ jobs: { status: 'running', rows, more: false, loaded: true, error: null } }));
    expect(s.frame()).toMatch(/ 8 running +default +fibonacci +2\/4 w-alpha/);
    expect(s.frame()).not.toContain('6/4');
    await s.press('5');
    const dead = [job(9, { status: 'dead_letter', attempt: 8, failures: 4, error: 'boom' })];
    s.rerender(clusterData({ jobs: { status: 'dead_letter', rows: dead, more: false, loaded: true, error: null } }));
    expect(s.frame()).toMatch(/ 9 dead_letter +default +fibonacci +4\/4 /);
  });

  it('Given running and failed jobs, Then progress and errors are shown in the last column', async () => {
    const s = mount();
    await s.press('2');
    const rows = [job(5, { status: 'running', attempt: 1, progress: 42.4, workerId: 'w-alpha' })];
    s.rerender(clusterData({ jobs: { status: 'running', rows, more: false, loaded: true, error: null } }));
    expect(s.frame()).toMatch(/ 5 running +default +fibonacci +1\/4 w-alpha +5s 42%/);
    await s.press('1');
    s.rerender(clusterData({ jobs: { status: 'queued', rows: [job(7, { error: 'boom: out of memory' })], more: false, loaded: true, error: null } }));
    expect(s.frame()).toMatch(/ 7 queued .* boom: out of me/);
    s.rerender(clusterData({ jobs: { status: 'queued', rows: [], more: false, loaded: true, error: null } }));
    expect(s.frame()).toContain('no queued jobs');
  });

  it('Given the page is loading, cut at the limit, or failed, Then the jobs pane says so', () => {
    const s = mount(clusterData({ jobs: { status: 'queued', rows: [], more: false, loaded: false, error: null } }));
    expect(s.frame()).toContain('loading…');
    s.rerender(clusterData({ jobs: { status: 'queued', rows: QUEUED_JOBS, more: true, loaded: true, error: null } }));
    expect(s.frame()).toContain('12 of 12 (first 200)');
    s.rerender(clusterData({ jobs: { status: 'queued', rows: [], more: false, loaded: true, error: 'queue: must match [A-Za-z0-9_.:-]' } }));
    expect(s.frame()).toContain('cannot list jobs: queue: must match [A-Za-z0-9_.:-]');
  });

  it('Given the event stream is down while polls work, Then the title says the events are reconnecting', () => {
    const s = mount(clusterData({ streaming: false }));
    expect(s.line('nucleus top')).toContain('● connected (events reconnecting)');
  });

  it('Given no workers and no queues, Then the panes say how to get some', () => {
    const s = mount(clusterData({ workers: [], queues: [] }));
    expect(s.frame()).toContain('no workers connected: start one with nucleus worker --master <address>');
    expect(s.frame()).toContain('no queues yet');
  });

  it('Given the master is lost, Then a banner says since when, the error, and that it retries; the title says reconnecting', () => {
    const s = mount(clusterData({ connection: { state: 'lost', sinceMs: NOW - 7_000, error: 'cannot reach the master at 10.1.2.3:50051 (connection refused)', attempts: 7 } }));
    expect(s.line('nucleus top')).toContain('✖ lost 7s ago, reconnecting');
    expect(s.line('unreachable')).toMatch(/^master unreachable for 7s \(try 7\): cannot reach the master at 10\.1\.2\.3:50051 \(connection refused\)/);
    // The last figures stay on screen.
    expect(s.line(' default ')).toContain('4,000');
  });

  it('When ? is pressed, Then the key help replaces the panes; ? closes it', async () => {
    const s = mount();
    await s.press('?');
    expect(s.frame()).toContain('Keys');
    expect(s.line('cancel the selected')).toMatch(/^│ c +cancel the selected or open job \(asks y\/n\)/);
    expect(s.frame()).not.toContain('QUEUES');
    await s.press('?');
    expect(s.frame()).toContain('QUEUES');
  });
});

describe('keys', () => {
  it('When j, ↓, k and ↑ are pressed, Then the cursor moves down and up the jobs', async () => {
    const s = mount();
    await s.press('j', KEY.down);
    expect(s.marked()[0]).toMatch(/› +103 /);
    await s.press('k');
    expect(s.marked()[0]).toMatch(/› +102 /);
    await s.press(KEY.up, KEY.up);
    expect(s.marked()[0]).toMatch(/› +101 /);
  });

  it('When tab, l, h and shift-tab are pressed, Then focus (the cursor mark) moves between the panes', async () => {
    const s = mount();
    await s.press(KEY.tab);
    expect(s.marked()).toEqual([expect.stringMatching(/› default +active/)]);
    await s.press('l', 'j');
    expect(s.marked()).toEqual([expect.stringMatching(/› w-beta /)]);
    await s.press('h');
    expect(s.marked()).toEqual([expect.stringMatching(/› default /)]);
    await s.press(KEY.shiftTab);
    expect(s.marked()).toEqual([expect.stringMatching(/› +101 /)]);
  });

  it('When 2 is pressed, Then the data layer is asked for running jobs; the queued page is not shown as running', async () => {
    const s = mount();
    expect(s.actions.queries.at(-1)).toEqual({ status: 'queued', queue: null, type: null, workerId: null, detailJobId: null });
    await s.press('2');
    expect(s.actions.queries.at(-1)).toMatchObject({ status: 'running' });
    expect(s.frame()).toContain('loading…');
  });

  it('When / and words are typed, Then the rows narrow at once; a queue: qualifier goes to the master on Enter', async () => {
    const s = mount();
    await s.press('/', 's', 'l', 'e', 'e', 'p');
    expect(s.statusBar()).toContain('filter /sleep▏');
    expect(s.frame()).not.toContain(' 101 queued');
    expect(s.frame()).toContain(' 102 queued');
    await s.press(KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace, 'queue:emails 103');
    const before = s.actions.queries.length;
    await s.press(KEY.enter);
    expect(s.actions.queries.length).toBe(before + 1);
    expect(s.actions.queries.at(-1)).toMatchObject({ status: 'queued', queue: 'emails' });
    expect(s.frame()).toContain('/queue:emails 103');
    expect(s.frame().split('\n').filter((l) => / 10\d queued/.test(l))).toHaveLength(1);
    await s.press(KEY.esc);
    expect(s.frame()).toContain(' 112 queued');
  });

  it('When Enter is pressed on a job, Then its detail is asked for and shown: payload, attempts with errors, progress, result', async () => {
    const s = mount();
    await s.press('j', KEY.enter);
    expect(s.actions.queries.at(-1)).toMatchObject({ detailJobId: '102' });
    expect(s.frame()).toContain('Job 102');
    expect(s.frame()).toContain('loading…');
    const row = { ...QUEUED_JOBS[1], status: 'running' as const, attempt: 2, progress: 50, workerId: 'w-beta' };
    s.rerender(clusterData({ detail: { jobId: '102', job: detail(row, { result: '"partial"' }), error: null } }));
    expect(s.line('Job 102')).toMatch(/Job 102 {2}sleep {2}running {2}queue emails {2}priority 5 {2}tries 2\/4 \(attempt 2\) {2}timeout 30s/);
    expect(s.line('progress')).toMatch(/progress █{10}░{10} 50% {2}halfway/);
    expect(s.frame()).toContain('payload (application/json)');
    expect(s.frame()).toContain('"n": 30');
    expect(s.frame()).toContain('"partial"');
    expect(s.line('#1')).toMatch(/#1 w-alpha +2025-01-15T11:59:56\.000Z +1s error +connection reset by peer/);
    expect(s.line('#2')).toMatch(/#2 w-beta +2025-01-15T11:59:58\.000Z +2s running/);
    await s.press(KEY.esc);
    expect(s.actions.queries.at(-1)).toMatchObject({ detailJobId: null });
    expect(s.frame()).toContain('QUEUES');
  });

  it('When c then y are pressed, Then the job is cancelled through the actions and the result is shown, then fades', async () => {
    const s = mount();
    await s.press('j', 'c');
    expect(s.statusBar()).toBe('Cancel job 102 (sleep, queued)? y/n');
    expect(s.actions.calls).toEqual([]);
    await s.press('y');
    expect(s.actions.calls).toEqual(['cancel 102']);
    expect(s.statusBar()).toBe('job 102 cancelled');
    await settle();
    await vi.advanceTimersByTimeAsync(4_900);
    expect(s.statusBar()).toBe('job 102 cancelled');
    await vi.advanceTimersByTimeAsync(100);
    await settle();
    expect(s.statusBar()).toMatch(/^tab\/h\/l pane/);
  });

  it('When c then n are pressed, Then nothing is called', async () => {
    const s = mount();
    await s.press('c', 'n');
    expect(s.actions.calls).toEqual([]);
    expect(s.statusBar()).toBe('nothing done');
  });

  it('Given a failed job, When R then y are pressed, Then it is retried; When the master refuses, the error is shown', async () => {
    const failed = clusterData({ jobs: { status: 'failed', rows: [job(9, { status: 'failed', error: 'bad payload' })], more: false, loaded: true, error: null } });
    const s = mount(failed);
    await s.press('6');
    s.rerender(failed);
    await s.press('R');
    expect(s.statusBar()).toBe('Retry job 9 (fibonacci, failed)? y/n');
    await s.press('y');
    expect(s.actions.calls).toEqual(['retry 9']);
    expect(s.statusBar()).toBe('job 9 queued again');
    s.actions.failNext('job 9 is queued; only failed, dead_letter or cancelled jobs can be retried');
    await s.press('R', 'y');
    expect(s.statusBar()).toBe('job 9 is queued; only failed, dead_letter or cancelled jobs can be retried');
  });

  it('Given the queues pane, When p then y are pressed, Then the queue is paused; on a paused queue, resumed', async () => {
    const s = mount();
    await s.press(KEY.tab, 'p');
    expect(s.statusBar()).toBe('Pause queue default? y/n');
    await s.press('y', 'j', 'p', 'y');
    expect(s.actions.calls).toEqual(['pause default true', 'pause emails false']);
  });

  it('When q is pressed, Then the App asks to quit', async () => {
    const s = mount();
    await s.press('q');
    expect(s.actions.calls).toEqual(['quit']);
  });
});

describe('snapshot (--once)', () => {
  it('Given a snapshot, Then every queue, worker and listed job is printed, without the key hints', () => {
    const text = renderSnapshot(clusterData(), 120, NOW);
    for (const expected of ['master 10.1.2.3:50051', 'default', 'emails', 'w-alpha', 'w-beta', ' 101 queued', ' 112 queued']) expect(text).toContain(expected);
    expect(text).not.toContain('q quit');
    expect(text).not.toContain('tab/h/l pane');
    expect(text).not.toContain('›');
  });
});
