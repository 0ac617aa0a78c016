/**
 * Conversions between the generated protobuf types and the domain's. Nothing else.
 */
import { JobStatus as ProtoStatus, type Job as ProtoJob, type JobSpec, type JobEvent as ProtoEvent } from './generated/nucleus/v1/jobs.js';
import { Outcome } from './generated/nucleus/v1/worker.js';
import type { JobRecord, JobStatus } from '../core/job.js';
import type { JobSpecInput } from '../core/validation.js';
import type { JobChange } from '../master/events.js';
import type { ResultOutcome } from '../master/protocol.js';

/** Bytes as the generated code wants them, without a copy. */
export const toBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

const STATUS_TO_PROTO: Record<JobStatus, ProtoStatus> = {
  queued: ProtoStatus.JOB_STATUS_QUEUED,
  scheduled: ProtoStatus.JOB_STATUS_SCHEDULED,
  running: ProtoStatus.JOB_STATUS_RUNNING,
  retrying: ProtoStatus.JOB_STATUS_RETRYING,
  completed: ProtoStatus.JOB_STATUS_COMPLETED,
  failed: ProtoStatus.JOB_STATUS_FAILED,
  dead_letter: ProtoStatus.JOB_STATUS_DEAD_LETTER,
  cancelled: ProtoStatus.JOB_STATUS_CANCELLED,
};

export function statusToProto(status: JobStatus): ProtoStatus {
  return STATUS_TO_PROTO[status];
}

/** A wire status as the domain's name; unknown values come back as a string that validation refuses. */
export function statusFromProto(status: ProtoStatus): string {
  const found = (Object.entries(STATUS_TO_PROTO) as Array<[JobStatus, ProtoStatus]>).find(([, v]) => v === status);
  return found ? found[0] : `unknown(${status})`;
}

export function specFromProto(spec: JobSpec): JobSpecInput {
  return {
    type: spec.type,
    payload: spec.payload,
    // proto3 sends unset scalars as ''/0: those mean "use the default".
    contentType: spec.contentType || undefined,
    queue: spec.queue || undefined,
    priority: spec.priority,
    maxRetries: spec.maxRetries,
    timeoutMs: spec.timeoutMs || undefined,
    runAtMs: spec.runAtMs || undefined,
    delayMs: spec.delayMs || undefined,
    idempotencyKey: spec.idempotencyKey || undefined,
    backoffBaseMs: spec.backoffBaseMs || undefined,
    backoffCapMs: spec.backoffCapMs || undefined,
  };
}

export function jobToProto(job: JobRecord): ProtoJob {
  return {
    id: String(job.id),
    queue: job.queue,
    type: job.type,
    payload: toBuffer(job.payload),
    contentType: job.contentType,
    priority: job.priority,
    maxRetries: job.maxRetries,
    timeoutMs: job.timeoutMs,
    runAtMs: job.runAt,
    idempotencyKey: job.idempotencyKey ?? '',
    status: statusToProto(job.status),
    attempt: job.attempt,
    failures: job.failures,
    attempts: (job.attempts ?? []).map((a) => ({
      number: a.number,
      workerId: a.workerId,
      startedAtMs: a.startedAt,
      finishedAtMs: a.finishedAt ?? 0,
      outcome: a.outcome,
      error: a.error ?? '',
    })),
    result: job.result ? toBuffer(job.result) : Buffer.alloc(0),
    resultContentType: job.resultContentType ?? '',
    error: job.error ?? '',
    progress: job.progress,
    progressMessage: job.progressMessage ?? '',
    createdAtMs: job.createdAt,
    updatedAtMs: job.updatedAt,
    finishedAtMs: job.finishedAt ?? 0,
    workerId: job.workerId ?? '',
    backoffBaseMs: job.backoffBaseMs,
    backoffCapMs: job.backoffCapMs,
    waiting: job.waiting ?? '',
  };
}

export function eventToProto(change: JobChange): ProtoEvent {
  return {
    jobId: String(change.id),
    status: statusToProto(change.status),
    queue: change.queue,
    type: change.type,
    attempt: change.attempt,
    workerId: change.workerId ?? '',
    atMs: change.at,
    error: change.error ?? '',
  };
}

const OUTCOMES: Record<number, ResultOutcome> = {
  [Outcome.OUTCOME_COMPLETED]: 'completed',
  [Outcome.OUTCOME_ERROR]: 'error',
  [Outcome.OUTCOME_FATAL]: 'fatal',
  [Outcome.OUTCOME_TIMEOUT]: 'timeout',
  [Outcome.OUTCOME_CANCELLED]: 'cancelled',
};

export function outcomeFromProto(outcome: Outcome): ResultOutcome {
  return OUTCOMES[outcome] ?? 'error';
}

const OUTCOME_CODES = new Map<ResultOutcome, Outcome>(Object.entries(OUTCOMES).map(([code, outcome]) => [outcome, Number(code) as Outcome]));

export function outcomeToProto(outcome: ResultOutcome): Outcome {
  return OUTCOME_CODES.get(outcome) ?? Outcome.OUTCOME_ERROR;
}
