/**
 * The storage seam. The scheduler talks to a JobStore only; SQLite is the one implementation
 * today, and a server database shared by several masters would be the next. Every method is one
 * transaction: it either happens whole or not at all, and it has happened (durably, to the level
 * the store promises) when it returns.
 *
 * Fencing: every method that ends an attempt names the lease (job id + attempt) and changes a row
 * only if the job is still running under that lease. A stale result therefore changes nothing.
 */
import type { AttemptOutcome, JobRecord, JobStatus, NewJob } from '../core/job.js';

export interface InsertedJob {
  id: number;
  status: JobStatus;
  /** The idempotency key matched an existing job; nothing was created. */
  duplicate: boolean;
}

/** A queued job as the in-memory runnable set holds it. */
export interface RunnableJob {
  id: number;
  queue: string;
  type: string;
  priority: number;
  front: boolean;
}

/** What a worker needs to run an attempt, and what the master needs to judge its result. */
export interface LeasedJob {
  id: number;
  attempt: number;
  failures: number;
  queue: string;
  type: string;
  priority: number;
  payload: Uint8Array;
  contentType: string;
  timeoutMs: number;
  maxRetries: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  createdAt: number;
  runAt: number;
  workerId: string;
  startedAt: number;
}

export interface Claim {
  id: number;
  workerId: string;
}

/** The end of an attempt (or a cancel of a running job), fenced by the lease. */
export interface AttemptEnd {
  id: number;
  attempt: number;
  status: JobStatus;
  failures: number;
  runAt: number;
  front: boolean;
  outcome: AttemptOutcome;
  error: string | null;
  result: Uint8Array | null;
  resultContentType: string | null;
  at: number;
  /** The lease's worker and start, for the attempt's history row. */
  workerId: string;
  startedAt: number;
}

export interface StatusChange {
  id: number;
  queue: string;
  type: string;
  priority: number;
  from: JobStatus;
  to: JobStatus;
  front: boolean;
}

export interface ListFilter {
  statuses?: JobStatus[];
  queue?: string;
  type?: string;
  workerId?: string;
  /** The error text exactly (one group of the dashboard's failed page). */
  error?: string;
  /** Error text containing this (case-insensitive for ASCII). */
  errorContains?: string;
  /** Keyset cursor: only ids after (or, newest first, before) this one. */
  afterId?: number;
  newestFirst?: boolean;
  limit: number;
}

export interface QueueStatusCount {
  queue: string;
  status: JobStatus;
  count: number;
}

export interface ErrorGroup {
  error: string;
  count: number;
  latestId: number;
  latestAt: number;
}

export interface ProgressUpdate {
  id: number;
  attempt: number;
  progress: number;
  message: string | null;
}

export interface JobStore {
  insertJobs(jobs: NewJob[], now: number, idempotencyWindowMs: number): InsertedJob[];
  /** Leases queued jobs to workers: attempt + 1, status running. Skips jobs no longer queued; the result is in no particular order. */
  claim(claims: Claim[], now: number): LeasedJob[];
  /**
   * Ends attempts; returns, per entry, whether the lease was current and the change applied.
   * An attempt's history row is written here, except for the attempt that completes its job: that
   * one is the job row itself (worker, start, finish), which saves a write per job.
   */
  endAttempts(ends: AttemptEnd[]): boolean[];
  /** Promotes scheduled and retrying jobs whose time has come; at most `limit`. */
  promoteDue(now: number, limit: number): StatusChange[];
  /** The earliest run-at among scheduled and retrying jobs, or null. */
  nextDueAt(): number | null;
  /** Moves a job that is not running from one status to another (cancel, redrive), fenced by its status. */
  setStatus(id: number, from: JobStatus, to: JobStatus, now: number): StatusChange | null;
  /** The same for many jobs in one transaction; returns the changes that applied. */
  setStatuses(ids: number[], from: JobStatus, to: JobStatus, now: number): StatusChange[];
  getJob(id: number, withAttempts: boolean): JobRecord | null;
  listJobs(filter: ListFilter): JobRecord[];
  /** Ids of jobs with `status` (optionally in `queue`), oldest first, after `afterId`. */
  idsWithStatus(status: JobStatus, queue: string | undefined, afterId: number, limit: number): number[];
  countByQueueAndStatus(): QueueStatusCount[];
  /** Jobs matching `filter` (its cursor and limit ignored), counted up to `cap`. */
  countJobs(filter: ListFilter, cap: number): number;
  /** Jobs with these statuses grouped by error text, largest groups first. */
  errorGroups(statuses: JobStatus[], queue: string | undefined, limit: number): ErrorGroup[];
  loadQueued(): RunnableJob[];
  loadRunning(): LeasedJob[];
  updateProgress(updates: ProgressUpdate[], now: number): void;
  setPaused(queue: string, paused: boolean): void;
  pausedQueues(): string[];
  /** Deletes up to `limit` finished jobs that finished before `before`; returns what was deleted. */
  prune(before: number, limit: number): QueueStatusCount[];
  createdAt(id: number): number | null;
  /** Records the session secret hash of the process now connected as `workerId` (replacing any earlier). */
  recordWorkerSecret(workerId: string, secretHash: string, now: number): void;
  /** Worker id -> the secret hash last recorded for it. */
  workerSecrets(): Map<string, string>;
  /**
   * Throws if the store cannot be written (for /readyz): read-only, failing, or (given
   * `minFreeBytes`) with less space left than a submit of the largest job needs.
   */
  checkWritable(minFreeBytes?: number): void;
  close(): void;
}
