/**
 * The key reducer of `nucleus top`, as pure functions: every key, from a given state and screen.
 */
import { describe, expect, it } from 'vitest';
import { handleKey, initialUiState, jobCursor, splitKeys, withNotice, type KeyPress, type UiState, type ViewContext } from '../../../src/tui/reducer.js';

const VIEW: ViewContext = {
  queues: [
    { name: 'default', paused: false },
    { name: 'emails', paused: true },
  ],
  workers: [{ id: 'w1' }, { id: 'w2' }],
  jobs: [
    { id: '11', status: 'queued', type: 'fibonacci' },
    { id: '12', status: 'failed', type: 'sleep' },
    { id: '13', status: 'running', type: 'echo' },
    { id: '14', status: 'completed', type: 'noop' },
  ],
  detail: null,
  pageSize: 2,
};

const press = (input: string, flags: Omit<KeyPress, 'input'> = {}): KeyPress => ({ input, ...flags });

/** Applies key presses one after the other; returns the last transition. */
function keys(state: UiState, presses: KeyPress[], view: ViewContext = VIEW) {
  let transition = { state, effect: null as ReturnType<typeof handleKey>['effect'] };
  for (const p of presses) transition = handleKey(transition.state, p, view);
  return transition;
}

describe('panes', () => {
  it('Given the jobs pane, When tab/shift-tab, l/h and arrows are pressed, Then focus cycles through queues, workers, jobs', () => {
    const s = initialUiState({ pane: 'jobs' });
    expect(handleKey(s, press('', { tab: true }), VIEW).state.pane).toBe('queues');
    expect(handleKey(s, press('', { tab: true, shift: true }), VIEW).state.pane).toBe('workers');
    expect(handleKey(s, press('l'), VIEW).state.pane).toBe('queues');
    expect(handleKey(s, press('h'), VIEW).state.pane).toBe('workers');
    expect(handleKey(s, press('', { rightArrow: true }), VIEW).state.pane).toBe('queues');
    expect(handleKey(s, press('', { leftArrow: true }), VIEW).state.pane).toBe('workers');
    expect(keys(s, [press('l'), press('l')]).state.pane).toBe('workers');
  });
});

describe('cursor', () => {
  it('Given the jobs pane, When j/k and arrows are pressed, Then the cursor moves and stops at both ends', () => {
    const s = initialUiState();
    const down = keys(s, [press('j'), press('', { downArrow: true })]).state;
    expect(down.cursor.jobs).toBe(2);
    expect(down.selectedJobId).toBe('13');
    expect(keys(down, [press('j'), press('j'), press('j')]).state.selectedJobId).toBe('14');
    expect(keys(down, [press('k'), press('', { upArrow: true }), press('k')]).state.selectedJobId).toBe('11');
  });

  it('When PgDn/PgUp and g/G are pressed, Then the cursor jumps a page or to either end', () => {
    const s = initialUiState();
    expect(handleKey(s, press('', { pageDown: true }), VIEW).state.selectedJobId).toBe('13');
    expect(handleKey(s, press('G'), VIEW).state.selectedJobId).toBe('14');
    expect(keys(s, [press('G'), press('g')]).state.selectedJobId).toBe('11');
    expect(keys(s, [press('G'), press('', { pageUp: true })]).state.selectedJobId).toBe('12');
  });

  it('Given a selected job, When the list reorders, Then the cursor stays on that job; When it leaves, the row index holds', () => {
    const s = keys(initialUiState(), [press('j')]).state; // job 12, row 1
    const reordered = [VIEW.jobs[3], VIEW.jobs[2], VIEW.jobs[0], VIEW.jobs[1]];
    expect(jobCursor(s, reordered)).toBe(3);
    const gone = [VIEW.jobs[0], VIEW.jobs[2], VIEW.jobs[3]];
    expect(jobCursor(s, gone)).toBe(1);
    expect(jobCursor(s, [])).toBe(0);
    // Moving from a reordered list starts from where the job is now.
    expect(handleKey(s, press('k'), { ...VIEW, jobs: reordered }).state.selectedJobId).toBe('11');
  });

  it('Given the queues and workers panes, When j/k are pressed, Then each pane keeps its own cursor', () => {
    const s = keys(initialUiState({ pane: 'queues' }), [press('j'), press('j'), press('l'), press('j')]).state;
    expect(s.cursor).toEqual({ queues: 1, workers: 1, jobs: 0 });
  });

  it('Given an empty pane, When j is pressed, Then nothing changes', () => {
    const s = initialUiState();
    expect(handleKey(s, press('j'), { ...VIEW, jobs: [] }).state).toBe(s);
  });
});

describe('status tabs', () => {
  it('When 1..8 are pressed, Then the jobs tab changes, the cursor resets and an open job closes', () => {
    const s = initialUiState({ cursor: { queues: 0, workers: 0, jobs: 3 }, selectedJobId: '14', pane: 'queues' });
    const tabs = ['1', '2', '3', '4', '5', '6', '7', '8'].map((k) => handleKey(s, press(k), VIEW).state.tab);
    expect(tabs).toEqual(['queued', 'running', 'retrying', 'scheduled', 'dead_letter', 'failed', 'completed', 'cancelled']);
    const next = handleKey(s, press('5'), VIEW).state;
    expect(next).toMatchObject({ pane: 'jobs', selectedJobId: null, detailJobId: null });
    expect(next.cursor.jobs).toBe(0);
  });

  it('When ] and [ are pressed, Then the tabs cycle both ways and wrap', () => {
    const s = initialUiState();
    expect(handleKey(s, press(']'), VIEW).state.tab).toBe('running');
    expect(handleKey(s, press('['), VIEW).state.tab).toBe('cancelled');
  });
});

describe('filter', () => {
  it('When / is pressed and text typed, Then the filter grows, backspace removes, Enter keeps it', () => {
    const s = keys(initialUiState({ pane: 'queues' }), [press('/'), press('fib'), press('x'), press('', { backspace: true })]).state;
    expect(s).toMatchObject({ pane: 'jobs', editingFilter: true, filter: 'fib' });
    const kept = handleKey(s, press('', { return: true }), VIEW).state;
    expect(kept).toMatchObject({ editingFilter: false, filter: 'fib' });
  });

  it('Given the filter being typed, When q, c or 1 are typed, Then they are text, not commands', () => {
    const t = keys(initialUiState(), [press('/'), press('q'), press('c'), press('1')]);
    expect(t.effect).toBeNull();
    expect(t.state.filter).toBe('qc1');
    expect(t.state.tab).toBe('queued');
  });

  it('When Esc is pressed while typing, Then the filter is cleared; Esc later clears a kept filter', () => {
    expect(keys(initialUiState(), [press('/'), press('abc'), press('', { escape: true })]).state).toMatchObject({ filter: '', editingFilter: false });
    expect(handleKey(initialUiState({ filter: 'abc' }), press('', { escape: true }), VIEW).state.filter).toBe('');
  });
});

describe('Enter and Esc', () => {
  it('Given the jobs pane, When Enter is pressed, Then the selected job opens; Esc closes it', () => {
    const open = keys(initialUiState(), [press('j'), press('', { return: true })]).state;
    expect(open.detailJobId).toBe('12');
    expect(handleKey(open, press('', { escape: true }), VIEW).state.detailJobId).toBeNull();
  });

  it('Given the queues pane, When Enter is pressed, Then the jobs pane shows that queue (queue: filter)', () => {
    const s = keys(initialUiState({ pane: 'queues' }), [press('j'), press('', { return: true })]).state;
    expect(s).toMatchObject({ pane: 'jobs', filter: 'queue:emails' });
  });

  it('Given the workers pane, When Enter is pressed, Then the jobs pane shows what that worker runs', () => {
    const s = keys(initialUiState({ pane: 'workers' }), [press('j'), press('', { return: true })]).state;
    expect(s).toMatchObject({ pane: 'jobs', tab: 'running', filter: 'worker:w2' });
  });

  it('Given a job open, When j or a tab key is pressed, Then the cursor does not move behind it', () => {
    const open = initialUiState({ detailJobId: '12' });
    expect(handleKey(open, press('j'), VIEW).state).toBe(open);
  });
});

describe('cancel, retry, pause: confirmed first', () => {
  it('Given a queued job selected, When c then y, Then the cancel effect is returned once, after confirmation', () => {
    const asked = handleKey(initialUiState(), press('c'), VIEW);
    expect(asked.effect).toBeNull();
    expect(asked.state.confirm?.prompt).toBe('Cancel job 11 (fibonacci, queued)?');
    const confirmed = handleKey(asked.state, press('y'), VIEW);
    expect(confirmed.effect).toEqual({ kind: 'cancel', jobId: '11' });
    expect(confirmed.state.confirm).toBeNull();
  });

  it('Given a confirmation, When n or Esc is pressed, Then nothing is done and it says so', () => {
    const asked = handleKey(initialUiState(), press('c'), VIEW).state;
    for (const no of [press('n'), press('', { escape: true })]) {
      const t = handleKey(asked, no, VIEW);
      expect(t.effect).toBeNull();
      expect(t.state.confirm).toBeNull();
      expect(t.state.notice).toEqual({ text: 'nothing done', tone: 'info' });
    }
  });

  it('Given a confirmation, When other keys (q, j, c) are pressed, Then they are ignored until y or n', () => {
    const asked = handleKey(initialUiState(), press('c'), VIEW).state;
    const t = keys(asked, [press('q'), press('j'), press('c')]);
    expect(t.effect).toBeNull();
    expect(t.state).toBe(asked);
  });

  it('Given a completed job, When c is pressed, Then it is refused with the reason', () => {
    const s = keys(initialUiState(), [press('G'), press('c')]).state;
    expect(s.confirm).toBeNull();
    expect(s.notice).toEqual({ text: 'job 14 is completed; only queued, scheduled, retrying or running jobs can be cancelled', tone: 'error' });
  });

  it('Given the queues pane, When c is pressed, Then it says to pick a job', () => {
    const s = handleKey(initialUiState({ pane: 'queues' }), press('c'), VIEW).state;
    expect(s.notice?.text).toMatch(/^no job selected/);
  });

  it('Given a failed job, When R then y, Then the retry effect is returned; a queued job is refused', () => {
    const t = keys(initialUiState(), [press('j'), press('R'), press('y')]);
    expect(t.effect).toEqual({ kind: 'retry', jobId: '12' });
    const refused = handleKey(initialUiState(), press('R'), VIEW).state;
    expect(refused.notice?.text).toBe('job 11 is queued; only failed, dead_letter or cancelled jobs can be retried');
  });

  it('Given an open job, When c is pressed, Then the open job is the target, not the row under the cursor', () => {
    const open = initialUiState({ detailJobId: '77' });
    const view = { ...VIEW, detail: { id: '77', status: 'running' as const, type: 'sleep' } };
    const t = keys(open, [press('c'), press('y')], view);
    expect(t.effect).toEqual({ kind: 'cancel', jobId: '77' });
  });

  it('Given the queues pane, When p then y, Then an active queue is paused and a paused one resumed', () => {
    expect(keys(initialUiState({ pane: 'queues' }), [press('p'), press('y')]).effect).toEqual({ kind: 'pause', queue: 'default', paused: true });
    const resume = keys(initialUiState({ pane: 'queues' }), [press('j'), press('p')]);
    expect(resume.state.confirm?.prompt).toBe('Resume queue emails?');
    expect(handleKey(resume.state, press('y'), VIEW).effect).toEqual({ kind: 'pause', queue: 'emails', paused: false });
  });

  it('Given the jobs pane, When p is pressed, Then it says to pick a queue', () => {
    expect(handleKey(initialUiState(), press('p'), VIEW).state.notice?.text).toMatch(/^no queue selected/);
  });
});

describe('help and quit', () => {
  it('When ? is pressed, Then help opens; other keys wait; ? or Esc closes it', () => {
    const help = handleKey(initialUiState(), press('?'), VIEW).state;
    expect(help.help).toBe(true);
    expect(handleKey(help, press('j'), VIEW).state).toBe(help);
    expect(handleKey(help, press('?'), VIEW).state.help).toBe(false);
    expect(handleKey(help, press('', { escape: true }), VIEW).state.help).toBe(false);
  });

  it('When q or Ctrl-C is pressed, Then the quit effect is returned', () => {
    expect(handleKey(initialUiState(), press('q'), VIEW).effect).toEqual({ kind: 'quit' });
    expect(handleKey(initialUiState({ editingFilter: true }), press('c', { ctrl: true }), VIEW).effect).toEqual({ kind: 'quit' });
  });

  it('Given a notice, When Esc is pressed, Then it is cleared with the level it closes; withNotice sets one', () => {
    const s = withNotice(initialUiState(), 'job 1 cancelled', 'info');
    expect(s.notice).toEqual({ text: 'job 1 cancelled', tone: 'info' });
    expect(handleKey(s, press('', { escape: true }), VIEW).state.notice).toBeNull();
    // Open job and filter: the first Esc closes the job, the second clears the filter.
    const deep = { ...s, detailJobId: '12', filter: 'queue:emails' };
    const once = handleKey(deep, press('', { escape: true }), VIEW).state;
    expect(once).toMatchObject({ detailJobId: null, filter: 'queue:emails', notice: null });
    expect(handleKey(once, press('', { escape: true }), VIEW).state.filter).toBe('');
  });
});

describe('splitKeys', () => {
  it('Given keys that arrived in one read, Then each is a key press of its own', () => {
    expect(splitKeys(press('j\r'))).toEqual([{ input: 'j', shift: false }, { input: '', return: true }]);
    expect(splitKeys(press('R\t\u007f'))).toEqual([{ input: 'R', shift: true }, { input: '', tab: true }, { input: '', backspace: true }]);
    const single = press('j');
    expect(splitKeys(single)).toEqual([single]);
  });
});
