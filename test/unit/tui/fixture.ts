/**
 * A fixed picture of a small cluster for the component tests, and a fake of the actions the App
 * may call, which records every call.
 */
import { emptyCounts, type ClusterData, type ClusterQuery, type JobDetail, type JobRow, type TopActions } from '../../../src/tui/model.js';

export const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

const counts = (partial: Partial<ReturnType<typeof emptyCounts>>) => ({ ...emptyCounts(), ...partial });

export function job(id: number, partial: Partial<JobRow> = {}): JobRow {
  return {
    id: String(id),
    status: 'queued',
    queue: 'default',
    type: 'fibonacci',
    priority: 5,
    attempt: 0,
    maxRetries: 3,
    failures: 0,
    workerId: '',
    createdAtMs: NOW - 5_000,
    updatedAtMs: NOW - 5_000,
    error: '',
    progress: 0,
    waiting: '',
    ...partial,
  };
}

export function detail(row: JobRow, partial: Partial<JobDetail> = {}): JobDetail {
  return {
    ...row,
    failures: 1,
    timeoutMs: 30_000,
    runAtMs: row.createdAtMs,
    finishedAtMs: 0,
    contentType: 'application/json',
    payload: '{\n  "n": 30\n}',
    result: null,
    progressMessage: 'halfway',
    attempts: [
      { number: 1, workerId: 'w-alpha', startedAtMs: NOW - 4_000, finishedAtMs: NOW - 3_000, outcome: 'error', error: 'connection reset by peer' },
      { number: 2, workerId: 'w-beta', startedAtMs: NOW - 2_000, finishedAtMs: 0, outcome: 'running', error: '' },
    ],
    ...partial,
  };
}

/** Queued jobs 101..112 (oldest first), as the master lists the queued tab. */
export const QUEUED_JOBS: JobRow[] = Array.from({ length: 12 }, (_, i) => job(101 + i, { type: i % 2 ? 'sleep' : 'fibonacci', queue: i < 3 ? 'emails' : 'default' }));

export function clusterData(partial: Partial<ClusterData> = {}): ClusterData {
  return {
    address: '10.1.2.3:50051',
    connection: { state: 'connected' },
    streaming: true,
    overview: {
      version: '9.8.7',
      startedAtMs: NOW - 3_723_000,
      nowMs: NOW,
      clockOffsetMs: 0,
      counts: counts({ queued: 12, running: 3, retrying: 1, completed: 4_321, failed: 2, dead_letter: 1, cancelled: 5 }),
      submittedTotal: 4_345,
      finishedTotal: 4_329,
      submittedPerSec: 250,
      finishedPerSec: 248.5,
      finishedHistory: [0, 10, 50, 100, 200, 248.5],
      queueWaitP50Ms: 12,
      queueWaitP95Ms: 87,
    },
    queues: [
      { name: 'default', paused: false, counts: counts({ queued: 9, running: 3, completed: 4_000, failed: 2 }), finishedPerSec: 240.5, oldestQueuedAtMs: NOW - 65_000 },
      { name: 'emails', paused: true, counts: counts({ queued: 3, retrying: 1, completed: 321, dead_letter: 1, cancelled: 5 }), finishedPerSec: 8, oldestQueuedAtMs: NOW - 4_000 },
    ],
    workers: [
      { id: 'w-alpha', hostname: 'node-a', pid: 4242, alive: true, draining: false, concurrency: 4, busy: 2, lastHeartbeatMs: NOW - 1_500, jobsDone: 2_100, runningJobIds: ['201', '202'] },
      { id: 'w-beta', hostname: 'node-b', pid: 77, alive: false, draining: false, concurrency: 8, busy: 1, lastHeartbeatMs: NOW - 12_000, jobsDone: 2_229, runningJobIds: ['203'] },
    ],
    jobs: { status: 'queued', rows: QUEUED_JOBS, more: false, loaded: true, error: null },
    detail: null,
    ...partial,
  };
}

export interface FakeActions extends TopActions {
  queries: ClusterQuery[];
  calls: string[];
  /** Makes the next operation fail with this message. */
  failNext(message: string): void;
}

export function fakeActions(): FakeActions {
  let failure: string | null = null;
  const settle = (call: string, text: string): Promise<string> => {
    actions.calls.push(call);
    if (failure !== null) {
      const message = failure;
      failure = null;
      return Promise.reject(new Error(message));
    }
    return Promise.resolve(text);
  };
  const actions: FakeActions = {
    queries: [],
    calls: [],
    failNext(message) {
      failure = message;
    },
    query(q) {
      actions.queries.push(q);
    },
    cancel: (id) => settle(`cancel ${id}`, `job ${id} cancelled`),
    retry: (id) => settle(`retry ${id}`, `job ${id} queued again`),
    pause: (queue, paused) => settle(`pause ${queue} ${paused}`, `queue ${queue} ${paused ? 'paused' : 'resumed'}`),
    quit() {
      actions.calls.push('quit');
    },
  };
  return actions;
}
