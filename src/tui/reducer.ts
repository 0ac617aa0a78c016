/**
 * The UI state of `nucleus top` and how keys change it: a pure function from (state, key, what is
 * on screen) to (next state, an effect to run). Effects (cancel, retry, pause, quit) are returned,
 * never run here; destructive ones first go through a y/n confirmation held in the state.
 *
 * Selection follows the job, not the row: the jobs list changes every second, so the cursor keeps
 * the selected job's id and finds it again; when that job has left the list, the row index holds.
 */
import type { JobStatus } from '../core/job.js';
import { JOB_TABS } from './model.js';

export type Pane = 'queues' | 'workers' | 'jobs';
export const PANES: readonly Pane[] = ['queues', 'workers', 'jobs'];

export type Effect =
  | { kind: 'cancel'; jobId: string }
  | { kind: 'retry'; jobId: string }
  | { kind: 'pause'; queue: string; paused: boolean }
  | { kind: 'quit' };

export interface Confirmation {
  prompt: string;
  effect: Effect;
}

export interface Notice {
  text: string;
  tone: 'info' | 'error';
}

export interface UiState {
  pane: Pane;
  /** Row index of the cursor in each pane. */
  cursor: Record<Pane, number>;
  /** The job under the cursor, so that it stays selected while the list moves. */
  selectedJobId: string | null;
  tab: JobStatus;
  filter: string;
  editingFilter: boolean;
  /** The job whose detail is open, or null. */
  detailJobId: string | null;
  help: boolean;
  confirm: Confirmation | null;
  notice: Notice | null;
}

/** A key press as Ink reports it; only the fields this UI uses. */
export interface KeyPress {
  input: string;
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
  shift?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
}

/** What is on screen when the key is pressed: the rows of each pane (jobs after the filter). */
export interface ViewContext {
  queues: ReadonlyArray<{ name: string; paused: boolean }>;
  workers: ReadonlyArray<{ id: string }>;
  jobs: ReadonlyArray<{ id: string; status: JobStatus; type: string }>;
  /** The open job, once loaded. */
  detail: { id: string; status: JobStatus; type: string } | null;
  /** Rows a page key moves by. */
  pageSize: number;
}

export interface Transition {
  state: UiState;
  effect: Effect | null;
}

export const initialUiState = (overrides: Partial<UiState> = {}): UiState => ({
  pane: 'jobs',
  cursor: { queues: 0, workers: 0, jobs: 0 },
  selectedJobId: null,
  tab: 'queued',
  filter: '',
  editingFilter: false,
  detailJobId: null,
  help: false,
  confirm: null,
  notice: null,
  ...overrides,
});

const CANCELLABLE: readonly JobStatus[] = ['queued', 'scheduled', 'running', 'retrying'];
const RETRYABLE: readonly JobStatus[] = ['failed', 'dead_letter', 'cancelled'];

const clamp = (n: number, length: number): number => Math.max(0, Math.min(n, length - 1));

/** The jobs-pane row the cursor is on: the selected job's row if it is still listed, else the remembered index. */
export function jobCursor(state: UiState, jobs: ViewContext['jobs']): number {
  if (jobs.length === 0) return 0;
  const byId = state.selectedJobId === null ? -1 : jobs.findIndex((j) => j.id === state.selectedJobId);
  return byId >= 0 ? byId : clamp(state.cursor.jobs, jobs.length);
}

function paneLength(pane: Pane, view: ViewContext): number {
  return pane === 'queues' ? view.queues.length : pane === 'workers' ? view.workers.length : view.jobs.length;
}

function moveCursor(state: UiState, view: ViewContext, delta: number): UiState {
  const pane = state.pane;
  const length = paneLength(pane, view);
  if (length === 0) return state;
  const from = pane === 'jobs' ? jobCursor(state, view.jobs) : clamp(state.cursor[pane], length);
  const to = clamp(from + delta, length);
  return {
    ...state,
    cursor: { ...state.cursor, [pane]: to },
    selectedJobId: pane === 'jobs' ? view.jobs[to].id : state.selectedJobId,
  };
}

function switchPane(state: UiState, step: number): UiState {
  const index = PANES.indexOf(state.pane);
  return { ...state, pane: PANES[(index + step + PANES.length) % PANES.length] };
}

/** The job a job key acts on: the open detail, else the selected row of the jobs pane. */
function targetJob(state: UiState, view: ViewContext): { id: string; status: JobStatus; type: string } | null {
  if (state.detailJobId !== null) return view.detail ?? null;
  if (state.pane !== 'jobs' || view.jobs.length === 0) return null;
  return view.jobs[jobCursor(state, view.jobs)];
}

const notice = (state: UiState, text: string, tone: Notice['tone'] = 'error'): Transition => ({ state: { ...state, notice: { text, tone } }, effect: null });
const stay = (state: UiState): Transition => ({ state, effect: null });

function askCancel(state: UiState, view: ViewContext): Transition {
  const job = targetJob(state, view);
  if (!job) return notice(state, 'no job selected: pick one in the jobs pane (tab to it) or open one with Enter');
  if (!CANCELLABLE.includes(job.status)) return notice(state, `job ${job.id} is ${job.status}; only queued, scheduled, retrying or running jobs can be cancelled`);
  return stay({ ...state, notice: null, confirm: { prompt: `Cancel job ${job.id} (${job.type}, ${job.status})?`, effect: { kind: 'cancel', jobId: job.id } } });
}

function askRetry(state: UiState, view: ViewContext): Transition {
  const job = targetJob(state, view);
  if (!job) return notice(state, 'no job selected: pick one in the jobs pane (tab to it) or open one with Enter');
  if (!RETRYABLE.includes(job.status)) return notice(state, `job ${job.id} is ${job.status}; only failed, dead_letter or cancelled jobs can be retried`);
  return stay({ ...state, notice: null, confirm: { prompt: `Retry job ${job.id} (${job.type}, ${job.status})?`, effect: { kind: 'retry', jobId: job.id } } });
}

function askPause(state: UiState, view: ViewContext): Transition {
  if (state.pane !== 'queues' || view.queues.length === 0) return notice(state, 'no queue selected: move to the queues pane (tab or h/l) and pick one');
  const queue = view.queues[clamp(state.cursor.queues, view.queues.length)];
  const verb = queue.paused ? 'Resume' : 'Pause';
  return stay({ ...state, notice: null, confirm: { prompt: `${verb} queue ${queue.name}?`, effect: { kind: 'pause', queue: queue.name, paused: !queue.paused } } });
}

function editFilter(state: UiState, key: KeyPress): Transition {
  if (key.escape) return stay({ ...state, editingFilter: false, filter: '', cursor: { ...state.cursor, jobs: 0 }, selectedJobId: null });
  if (key.return) return stay({ ...state, editingFilter: false });
  if (key.backspace || key.delete) return stay({ ...state, filter: state.filter.slice(0, -1) });
  if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return stay(state);
  // Printable text only; a paste arrives as one string.
  const text = key.input.replace(/[\u0000-\u001f\u007f]/g, '');
  return text ? stay({ ...state, filter: state.filter + text, cursor: { ...state.cursor, jobs: 0 }, selectedJobId: null }) : stay(state);
}

function openRow(state: UiState, view: ViewContext): Transition {
  if (state.pane === 'jobs') {
    const job = targetJob(state, view);
    return job ? stay({ ...state, detailJobId: job.id, notice: null }) : stay(state);
  }
  if (state.pane === 'queues' && view.queues.length > 0) {
    const queue = view.queues[clamp(state.cursor.queues, view.queues.length)];
    return stay({ ...state, pane: 'jobs', filter: `queue:${queue.name}`, cursor: { ...state.cursor, jobs: 0 }, selectedJobId: null });
  }
  if (state.pane === 'workers' && view.workers.length > 0) {
    const worker = view.workers[clamp(state.cursor.workers, view.workers.length)];
    return stay({ ...state, pane: 'jobs', tab: 'running', filter: `worker:${worker.id}`, cursor: { ...state.cursor, jobs: 0 }, selectedJobId: null });
  }
  return stay(state);
}

function selectTab(state: UiState, tab: JobStatus): Transition {
  return stay({ ...state, tab, pane: 'jobs', cursor: { ...state.cursor, jobs: 0 }, selectedJobId: null, detailJobId: null });
}

/** The next state for a key press, and the effect it asks for (run by the caller). */
export function handleKey(state: UiState, key: KeyPress, view: ViewContext): Transition {
  const { input } = key;
  if (key.ctrl && input === 'c') return { state, effect: { kind: 'quit' } };
  if (state.confirm) {
    if (input === 'y' || input === 'Y') return { state: { ...state, confirm: null }, effect: state.confirm.effect };
    if (input === 'n' || input === 'N' || key.escape) return stay({ ...state, confirm: null, notice: { text: 'nothing done', tone: 'info' } });
    return stay(state);
  }
  if (state.editingFilter) return editFilter(state, key);
  if (state.help) return input === '?' || input === 'q' || key.escape ? stay({ ...state, help: false }) : stay(state);

  if (input === 'q') return { state, effect: { kind: 'quit' } };
  if (input === '?') return stay({ ...state, help: true });
  if (key.escape) {
    // Back one level: the open job, else the filter; a message goes with either.
    if (state.detailJobId !== null) return stay({ ...state, detailJobId: null, notice: null });
    if (state.filter) return stay({ ...state, filter: '', selectedJobId: null, notice: null });
    return stay({ ...state, notice: null });
  }
  if (input === 'c') return askCancel(state, view);
  if (input === 'R') return askRetry(state, view);
  if (input === 'p') return askPause(state, view);
  if (state.detailJobId !== null) return stay(state);

  if (input === '/') return stay({ ...state, pane: 'jobs', editingFilter: true });
  if (key.tab) return stay(switchPane(state, key.shift ? -1 : 1));
  if (input === 'l' || key.rightArrow) return stay(switchPane(state, 1));
  if (input === 'h' || key.leftArrow) return stay(switchPane(state, -1));
  if (input === 'j' || key.downArrow) return stay(moveCursor(state, view, 1));
  if (input === 'k' || key.upArrow) return stay(moveCursor(state, view, -1));
  if (key.pageDown) return stay(moveCursor(state, view, view.pageSize));
  if (key.pageUp) return stay(moveCursor(state, view, -view.pageSize));
  if (input === 'g' || key.home) return stay(moveCursor(state, view, -Infinity));
  if (input === 'G' || key.end) return stay(moveCursor(state, view, Infinity));
  if (key.return) return openRow(state, view);
  if (/^[1-8]$/.test(input)) return selectTab(state, JOB_TABS[Number(input) - 1]);
  if (input === ']' || input === '[') {
    const index = JOB_TABS.indexOf(state.tab as (typeof JOB_TABS)[number]);
    return selectTab(state, JOB_TABS[(index + (input === ']' ? 1 : -1) + JOB_TABS.length) % JOB_TABS.length]);
  }
  return stay(state);
}

/**
 * One key press per character. A terminal delivers keys typed (or sent) in quick succession in one
 * read, e.g. "j\r", which Ink reports as a single input; without splitting, neither key would act.
 */
export function splitKeys(press: KeyPress): KeyPress[] {
  const { input } = press;
  if (input.length <= 1 || press.ctrl || press.meta || press.escape) return [press];
  return [...input].map((ch): KeyPress => {
    if (ch === '\r' || ch === '\n') return { input: '', return: true };
    if (ch === '\t') return { input: '', tab: true };
    if (ch === '\u007f' || ch === '\b') return { input: '', backspace: true };
    return { input: ch, shift: /[A-Z]/.test(ch) };
  });
}

/** The state after an effect finished: its line (or error) shown in the status bar. */
export function withNotice(state: UiState, text: string, tone: Notice['tone']): UiState {
  return { ...state, notice: { text, tone } };
}
