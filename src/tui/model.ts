/**
 * What `nucleus top` shows, as plain data: the data layer (cluster-feed.ts, use-cluster.ts) fills
 * it from the master, the presentational components only read it. No protobuf types and no I/O
 * here, so that components can be rendered from a fixed snapshot.
 */
import type { JobStatus } from '../core/job.js';

/** The status tabs of the jobs pane, in the order of the number keys 1..8. */
export const JOB_TABS = ['queued', 'running', 'retrying', 'scheduled', 'dead_letter', 'failed', 'completed', 'cancelled'] as const satisfies readonly JobStatus[];

/**
 * The most jobs the jobs pane asks the master for at once. The store may hold 100,000 jobs of one
 * status; the screen shows a page of them, narrowed on the server by `queue:`/`type:`/`worker:`.
 */
export const JOBS_PAGE_LIMIT = 200;

/** How many throughput samples the sparkline keeps: one a second, the last minute. */
export const THROUGHPUT_HISTORY = 60;

export type ConnectionState =
  | { state: 'connecting' }
  | { state: 'connected' }
  /** The master stopped answering at `sinceMs` (local clock); `attempts` polls have failed since. */
  | { state: 'lost'; sinceMs: number; error: string; attempts: number };

export interface Overview {
  version: string;
  startedAtMs: number;
  /** The master's clock at the last poll. */
  nowMs: number;
  /**
   * The master's clock minus ours, measured at that poll. Ages on screen are measured against the
   * master's clock (now + offset), so that a job that changed after the last poll is not "-0.2s".
   */
  clockOffsetMs: number;
  counts: Record<JobStatus, number>;
  submittedTotal: number;
  finishedTotal: number;
  /** Null until two polls have been seen. */
  submittedPerSec: number | null;
  finishedPerSec: number | null;
  /** Finished jobs per second, oldest first, at most THROUGHPUT_HISTORY samples. */
  finishedHistory: number[];
  queueWaitP50Ms: number;
  queueWaitP95Ms: number;
}

export interface QueueRow {
  name: string;
  paused: boolean;
  counts: Record<JobStatus, number>;
  /** Jobs of this queue that reached a final state per second, from the event stream; null without it. */
  finishedPerSec: number | null;
  /** Creation time of the oldest waiting job; null when nothing waits. */
  oldestQueuedAtMs: number | null;
}

export interface WorkerRow {
  id: string;
  hostname: string;
  pid: number;
  alive: boolean;
  draining: boolean;
  concurrency: number;
  busy: number;
  lastHeartbeatMs: number;
  jobsDone: number;
  runningJobIds: string[];
}

export interface JobRow {
  id: string;
  status: JobStatus;
  queue: string;
  type: string;
  priority: number;
  attempt: number;
  maxRetries: number;
  /** Attempts that went wrong since the job was submitted or last re-driven. */
  failures: number;
  workerId: string;
  createdAtMs: number;
  updatedAtMs: number;
  error: string;
  progress: number;
  /** Why a queued job cannot run now ("no connected worker handles `x`"); '' otherwise. */
  waiting: string;
}

export interface AttemptRow {
  number: number;
  workerId: string;
  startedAtMs: number;
  /** 0 while running. */
  finishedAtMs: number;
  outcome: string;
  error: string;
}

export interface JobDetail extends JobRow {
  timeoutMs: number;
  runAtMs: number;
  finishedAtMs: number;
  contentType: string;
  /** The payload decoded for reading (JSON as JSON text, other bytes summarised). */
  payload: string;
  /** The result decoded the same way; null when there is none. */
  result: string | null;
  progressMessage: string;
  attempts: AttemptRow[];
}

/** The jobs the master returned for the current tab and server-side filter. */
export interface JobPage {
  status: JobStatus;
  rows: JobRow[];
  /** True when the master had more jobs than the page limit. */
  more: boolean;
  /** False until the first page for this query arrived. */
  loaded: boolean;
  error: string | null;
}

export interface DetailState {
  jobId: string;
  job: JobDetail | null;
  error: string | null;
}

export interface ClusterData {
  /** host:port of the master. */
  address: string;
  connection: ConnectionState;
  /** Whether the WatchEvents stream is open (per-queue rates and prompt refreshes depend on it); null when none is wanted (a snapshot). */
  streaming: boolean | null;
  /** Null until the first stats arrive. */
  overview: Overview | null;
  queues: QueueRow[];
  workers: WorkerRow[];
  jobs: JobPage;
  detail: DetailState | null;
}

/** What the screen asks the data layer to load. */
export interface ClusterQuery {
  status: JobStatus;
  queue: string | null;
  type: string | null;
  workerId: string | null;
  detailJobId: string | null;
}

/** What the keyboard can do to the cluster. Each resolves to a line for the status bar or rejects with a readable error. */
export interface ClusterOperations {
  cancel(jobId: string): Promise<string>;
  retry(jobId: string): Promise<string>;
  pause(queue: string, paused: boolean): Promise<string>;
}

/** Everything the presentational App may call: data queries, operations, and quitting. */
export interface TopActions extends ClusterOperations {
  query(query: ClusterQuery): void;
  quit(): void;
}

export const emptyCounts = (): Record<JobStatus, number> => ({
  queued: 0,
  scheduled: 0,
  running: 0,
  retrying: 0,
  completed: 0,
  failed: 0,
  dead_letter: 0,
  cancelled: 0,
});

export function emptyClusterData(address: string, status: JobStatus = 'queued'): ClusterData {
  return {
    address,
    connection: { state: 'connecting' },
    streaming: false,
    overview: null,
    queues: [],
    workers: [],
    jobs: { status, rows: [], more: false, loaded: false, error: null },
    detail: null,
  };
}
