/**
 * How jobs look to people and to scripts: one JSON shape (`--json`) and one text shape.
 */
import { formatDuration } from '../core/duration.js';
import { statusFromProto } from '../rpc/convert.js';
import type { Job } from '../rpc/generated/nucleus/v1/jobs.js';

export interface JobJson {
  id: string;
  status: string;
  queue: string;
  type: string;
  priority: number;
  attempt: number;
  failures: number;
  maxRetries: number;
  timeoutMs: number;
  payload: unknown;
  contentType: string;
  result: unknown;
  error: string | null;
  progress: number;
  progressMessage: string | null;
  /** Why a queued job cannot run now, e.g. "no connected worker handles `fibonaci`"; null otherwise. */
  waiting: string | null;
  workerId: string | null;
  idempotencyKey: string | null;
  runAt: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  attempts: Array<{ number: number; workerId: string; startedAt: string; finishedAt: string | null; outcome: string; error: string | null }>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Decodes bytes by content type: JSON values as values, text as a string, other bytes as base64. */
export function decodeBytes(bytes: Uint8Array, contentType: string): unknown {
  if (bytes.length === 0) return null;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!contentType || contentType.startsWith('application/json')) {
    try {
      return JSON.parse(buffer.toString('utf8'));
    } catch {
      return buffer.toString('utf8');
    }
  }
  if (contentType.startsWith('text/')) return buffer.toString('utf8');
  return { base64: buffer.toString('base64'), bytes: buffer.length };
}

export function jobJson(job: Job): JobJson {
  return {
    id: job.id,
    status: statusFromProto(job.status),
    queue: job.queue,
    type: job.type,
    priority: job.priority,
    attempt: job.attempt,
    failures: job.failures,
    maxRetries: job.maxRetries,
    timeoutMs: job.timeoutMs,
    payload: decodeBytes(job.payload, job.contentType),
    contentType: job.contentType,
    result: decodeBytes(job.result, job.resultContentType),
    error: job.error || null,
    progress: job.progress,
    progressMessage: job.progressMessage || null,
    waiting: job.waiting || null,
    workerId: job.workerId || null,
    idempotencyKey: job.idempotencyKey || null,
    runAt: iso(job.runAtMs),
    createdAt: iso(job.createdAtMs),
    updatedAt: iso(job.updatedAtMs),
    finishedAt: job.finishedAtMs ? iso(job.finishedAtMs) : null,
    attempts: job.attempts.map((a) => ({
      number: a.number,
      workerId: a.workerId,
      startedAt: iso(a.startedAtMs),
      finishedAt: a.finishedAtMs ? iso(a.finishedAtMs) : null,
      outcome: a.outcome,
      error: a.error || null,
    })),
  };
}

const preview = (value: unknown, max = 200): string => {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
};

/** A multi-line description of one job for `nucleus status`. */
export function jobText(job: Job): string {
  const j = jobJson(job);
  const lines = [
    `job ${j.id}  ${j.type}  ${j.status}${j.status === 'running' && j.progress > 0 ? ` ${Math.round(j.progress)}%${j.progressMessage ? ` (${j.progressMessage})` : ''}` : ''}`,
    `  queue ${j.queue}  priority ${j.priority}  attempts ${j.attempt} (failures ${j.failures} of ${j.maxRetries} retries)  timeout ${formatDuration(j.timeoutMs)}${j.workerId ? `  worker ${j.workerId}` : ''}`,
    `  created ${j.createdAt}${j.status === 'scheduled' || j.status === 'retrying' ? `  runs at ${j.runAt}` : ''}${j.finishedAt ? `  finished ${j.finishedAt} (${formatDuration(job.finishedAtMs - job.createdAtMs)} after submit)` : ''}`,
    `  payload ${preview(j.payload)}`,
  ];
  if (j.result !== null) lines.push(`  result ${preview(j.result, 2000)}`);
  if (j.waiting) lines.push(`  waiting: ${j.waiting}`);
  if (j.error) lines.push(`  error ${j.error}`);
  if (j.attempts.length > 0) {
    lines.push('  attempts:');
    for (const a of job.attempts) {
      const took = a.finishedAtMs ? formatDuration(a.finishedAtMs - a.startedAtMs) : 'running';
      lines.push(`    #${a.number}  ${a.workerId}  ${new Date(a.startedAtMs).toISOString()}  ${took}  ${a.outcome}${a.error ? `: ${a.error}` : ''}`);
    }
  }
  return lines.join('\n');
}

/** One line per job for `nucleus list`. */
export function jobRow(job: Job): string {
  const status = statusFromProto(job.status);
  return [
    job.id.padStart(8),
    status.padEnd(11),
    job.queue.padEnd(10),
    job.type.padEnd(14),
    `p${job.priority}`.padEnd(3),
    `try ${job.attempt}`.padEnd(7),
    (job.workerId || '-').padEnd(10),
    new Date(job.createdAtMs).toISOString(),
    job.error ? ` ${job.error.slice(0, 60)}` : '',
  ].join(' ');
}

export const JOB_ROW_HEADER = `${'ID'.padStart(8)} ${'STATUS'.padEnd(11)} ${'QUEUE'.padEnd(10)} ${'TYPE'.padEnd(14)} PRI ${'ATTEMPT'.padEnd(7)} ${'WORKER'.padEnd(10)} CREATED`;
