/**
 * What the library Client gives back: jobs and events with status names, decoded payloads and
 * results (JSON values, or Buffers for bytes), and dates as Dates. And the other way: a payload
 * and options as a JobSpec.
 */
import type { DeepPartial, Job, JobEvent as ProtoEvent, JobSpec } from '../rpc/generated/nucleus/v1/jobs.js';
import { statusFromProto, statusToProto } from '../rpc/convert.js';
import { jobJson, type JobJson } from '../services/job-view.js';
import { invalidArgument } from '../errors.js';
import { ALL_STATUSES, type JobStatus } from '../core/job.js';

export type { JobStatus };
export const JOB_STATUSES = ALL_STATUSES;

export interface SubmitOptions {
  queue?: string;
  /** Higher runs first. */
  priority?: number;
  maxRetries?: number;
  /** Per attempt, in ms. */
  timeoutMs?: number;
  delayMs?: number;
  runAt?: Date | number;
  /**
   * The same key within the master's idempotency window gives back the first job instead of a
   * new one. It is also what lets the client send a submit again on another master when the
   * first went quiet before answering; without a key it never does.
   */
  idempotencyKey?: string;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Default: application/json, or application/octet-stream for a Buffer/Uint8Array payload. */
  contentType?: string;
}

export interface Submitted {
  id: string;
  status: JobStatus;
  /** An earlier job with the same idempotency key was given back. */
  duplicate: boolean;
}

export interface JobAttemptInfo {
  number: number;
  workerId: string;
  startedAt: Date;
  finishedAt: Date | null;
  outcome: string;
  error: string | null;
}

export interface JobInfo extends Omit<JobJson, 'status' | 'runAt' | 'createdAt' | 'updatedAt' | 'finishedAt' | 'attempts'> {
  status: JobStatus;
  /** A JSON value, or a Buffer for other content types. */
  payload: unknown;
  result: unknown;
  runAt: Date;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  attempts: JobAttemptInfo[];
}

export interface JobEventInfo {
  jobId: string;
  status: JobStatus;
  queue: string;
  type: string;
  attempt: number;
  workerId: string | null;
  at: Date;
  error: string | null;
  /** Events this watcher missed just before this one, because it read too slowly. */
  missedBefore: number;
}

const JSON_TYPE = 'application/json';

/** JSON as a value, anything else as a Buffer; empty as null. */
export function decodeValue(bytes: Uint8Array, contentType: string): unknown {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length === 0) return null;
  if (contentType && !contentType.startsWith(JSON_TYPE)) return buffer;
  return JSON.parse(buffer.toString('utf8'));
}

export function encodePayload(payload: unknown, contentType?: string): { payload: Buffer; contentType: string } {
  if (payload instanceof Uint8Array) return { payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), contentType: contentType ?? 'application/octet-stream' };
  if (payload === undefined) return { payload: Buffer.alloc(0), contentType: contentType ?? JSON_TYPE };
  const text = JSON.stringify(payload);
  if (text === undefined) throw invalidArgument('payload', `a ${typeof payload} has no JSON form`);
  return { payload: Buffer.from(text), contentType: contentType ?? JSON_TYPE };
}

export function jobSpec(type: string, payload: unknown, o: SubmitOptions = {}): DeepPartial<JobSpec> {
  const runAtMs = o.runAt instanceof Date ? o.runAt.getTime() : o.runAt;
  return {
    type,
    ...encodePayload(payload, o.contentType),
    queue: o.queue ?? '',
    priority: o.priority,
    maxRetries: o.maxRetries,
    timeoutMs: o.timeoutMs ?? 0,
    delayMs: o.delayMs ?? 0,
    runAtMs: runAtMs ?? 0,
    idempotencyKey: o.idempotencyKey ?? '',
    backoffBaseMs: o.backoffBaseMs ?? 0,
    backoffCapMs: o.backoffCapMs ?? 0,
  };
}

const date = (ms: number): Date => new Date(ms);
const dateOrNull = (ms: number): Date | null => (ms ? new Date(ms) : null);

/** The CLI's JSON shape of a job (services/job-view.ts), with bytes as Buffers and times as Dates. */
export function jobInfo(job: Job): JobInfo {
  const j = jobJson(job);
  return {
    ...j,
    status: j.status as JobStatus,
    payload: decodeValue(job.payload, job.contentType),
    result: decodeValue(job.result, job.resultContentType),
    runAt: date(job.runAtMs),
    createdAt: date(job.createdAtMs),
    updatedAt: date(job.updatedAtMs),
    finishedAt: dateOrNull(job.finishedAtMs),
    attempts: job.attempts.map((a, i) => ({ ...j.attempts[i], startedAt: date(a.startedAtMs), finishedAt: dateOrNull(a.finishedAtMs) })),
  };
}

export function eventInfo(e: ProtoEvent, missedBefore: number): JobEventInfo {
  return { jobId: e.jobId, status: statusFromProto(e.status) as JobStatus, queue: e.queue, type: e.type, attempt: e.attempt, workerId: e.workerId || null, at: date(e.atMs), error: e.error || null, missedBefore };
}

/** Status names as wire statuses; an unknown name is refused naming the field. */
export function statusesToProto(field: string, statuses: JobStatus | readonly JobStatus[] | undefined): number[] {
  const list = statuses === undefined ? [] : typeof statuses === 'string' ? [statuses] : statuses;
  return list.map((s) => {
    if (!JOB_STATUSES.includes(s)) throw invalidArgument(field, `unknown status "${String(s)}" (one of ${JOB_STATUSES.join(', ')})`);
    return statusToProto(s);
  });
}
