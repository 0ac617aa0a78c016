/** The job as the domain sees it. No I/O here. */

/** Every state a job can be in. Terminal: completed, failed, dead_letter, cancelled. */
export const JobStatus = {
  Queued: 'queued',
  Scheduled: 'scheduled',
  Running: 'running',
  Retrying: 'retrying',
  Completed: 'completed',
  Failed: 'failed',
  DeadLetter: 'dead_letter',
  Cancelled: 'cancelled',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

export const ALL_STATUSES: readonly JobStatus[] = Object.values(JobStatus);
export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'dead_letter', 'cancelled'];

export function isTerminal(status: JobStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'dead_letter' || status === 'cancelled';
}

export function isJobStatus(value: string): value is JobStatus {
  return (ALL_STATUSES as readonly string[]).includes(value);
}

/** How an attempt ended, as recorded in the job's history. */
export type AttemptOutcome =
  | 'running'
  | 'completed'
  | 'error'
  | 'fatal'
  | 'timeout'
  | 'lost'
  | 'cancelled'
  | 'returned';

export interface AttemptRecord {
  number: number;
  workerId: string;
  startedAt: number;
  finishedAt: number | null;
  outcome: AttemptOutcome;
  error: string | null;
}

/** Defaults and limits of a job; the master's config may override the defaults. */
export const JOB_LIMITS = {
  defaultQueue: 'default',
  defaultPriority: 5,
  minPriority: 0,
  maxPriority: 10,
  defaultMaxRetries: 3,
  maxMaxRetries: 100,
  defaultTimeoutMs: 30_000,
  maxTimeoutMs: 7 * 86_400_000,
  defaultBackoffBaseMs: 1_000,
  defaultBackoffCapMs: 3_600_000,
  maxDelayMs: 366 * 86_400_000,
  maxNameLength: 128,
  maxIdempotencyKeyLength: 256,
  defaultMaxPayloadBytes: 1024 * 1024,
  maxBatch: 10_000,
  defaultContentType: 'application/json',
  /** Of a payload's and of a result's content type. */
  maxContentTypeLength: 255,
} as const;

/** A validated, fully-defaulted request to create a job. */
export interface NewJob {
  queue: string;
  type: string;
  payload: Uint8Array;
  contentType: string;
  priority: number;
  maxRetries: number;
  timeoutMs: number;
  runAt: number;
  idempotencyKey: string | null;
  backoffBaseMs: number;
  backoffCapMs: number;
}

/** A job as stored. */
export interface JobRecord extends NewJob {
  id: number;
  status: JobStatus;
  /** Number of the current (or last) attempt: the lease. Only a result with this number applies. */
  attempt: number;
  /** Attempts that counted against maxRetries (errors, timeouts, lost workers). */
  failures: number;
  workerId: string | null;
  result: Uint8Array | null;
  resultContentType: string | null;
  error: string | null;
  progress: number;
  progressMessage: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  attempts?: AttemptRecord[];
  /** Why a queued job cannot run now (no connected worker handles its type); set by the master, never stored. */
  waiting?: string;
}
