/**
 * From the master's answers to what the screen shows: protobuf -> model rows, throughput from
 * successive GetStats totals, and per-queue finish rates from the event stream. Pure (times are
 * passed in), so it is tested without a master.
 */
import { isJobStatus, isTerminal, type JobStatus } from '../core/job.js';
import { statusFromProto } from '../rpc/convert.js';
import { emptyCounts, THROUGHPUT_HISTORY, type JobDetail, type JobRow, type Overview, type QueueRow, type WorkerRow } from './model.js';
import type { GetStatsResponse, Job, JobEvent, StatusCount } from '../rpc/generated/nucleus/v1/jobs.js';

const statusOf = (proto: number): JobStatus => {
  const name = statusFromProto(proto);
  return isJobStatus(name) ? name : 'queued';
};

export function countsFromProto(counts: readonly StatusCount[]): Record<JobStatus, number> {
  const out = emptyCounts();
  for (const c of counts) {
    const name = statusFromProto(c.status);
    if (isJobStatus(name)) out[name] = c.count;
  }
  return out;
}

export function jobRowFromProto(job: Job): JobRow {
  return {
    id: job.id,
    status: statusOf(job.status),
    queue: job.queue,
    type: job.type,
    priority: job.priority,
    attempt: job.attempt,
    maxRetries: job.maxRetries,
    failures: job.failures,
    workerId: job.workerId,
    createdAtMs: job.createdAtMs,
    updatedAtMs: job.updatedAtMs,
    error: job.error,
    progress: job.progress,
    waiting: job.waiting,
  };
}

/** Bytes for reading: JSON pretty-printed, text as is, anything else summarised (never dumped raw on a terminal). */
export function readableBytes(bytes: Uint8Array, contentType: string): string {
  return withoutControls(decodeForReading(bytes, contentType));
}

/** Control characters in a payload would drive the terminal; show them as a replacement character. */
const withoutControls = (text: string): string => text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\ufffd');

function decodeForReading(bytes: Uint8Array, contentType: string): string {
  if (bytes.length === 0) return '';
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!contentType || contentType.startsWith('application/json')) {
    try {
      return JSON.stringify(JSON.parse(buffer.toString('utf8')), null, 2);
    } catch {
      return buffer.toString('utf8');
    }
  }
  if (contentType.startsWith('text/')) return buffer.toString('utf8');
  return `(${buffer.length} bytes of ${contentType})`;
}

export function jobDetailFromProto(job: Job): JobDetail {
  return {
    ...jobRowFromProto(job),
    timeoutMs: job.timeoutMs,
    runAtMs: job.runAtMs,
    finishedAtMs: job.finishedAtMs,
    contentType: job.contentType || 'application/json',
    payload: readableBytes(job.payload, job.contentType),
    result: job.result.length > 0 ? readableBytes(job.result, job.resultContentType) : null,
    progressMessage: job.progressMessage,
    attempts: job.attempts.map((a) => ({ number: a.number, workerId: a.workerId, startedAtMs: a.startedAtMs, finishedAtMs: a.finishedAtMs, outcome: a.outcome, error: a.error })),
  };
}

export function workersFromProto(stats: GetStatsResponse): WorkerRow[] {
  return stats.workers
    .map((w) => ({
      id: w.id,
      hostname: w.hostname,
      pid: w.pid,
      alive: w.alive,
      draining: w.draining,
      concurrency: w.concurrency,
      busy: w.busy,
      lastHeartbeatMs: w.lastHeartbeatMs,
      jobsDone: w.jobsDone,
      runningJobIds: w.runningJobIds,
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

export function queuesFromProto(stats: GetStatsResponse, rates: QueueRates | null): QueueRow[] {
  return stats.queues.map((q) => ({
    name: q.name,
    paused: q.paused,
    counts: countsFromProto(q.counts),
    finishedPerSec: rates ? rates.rate(q.name, stats.nowMs) : null,
    oldestQueuedAtMs: q.oldestQueuedAtMs || null,
  }));
}

interface Sample {
  startedAtMs: number;
  nowMs: number;
  submitted: number;
  finished: number;
}

/**
 * Jobs per second from the master's running totals. A restarted master (new start time, or totals
 * going down) starts a new baseline instead of showing a negative rate.
 */
export class ThroughputMeter {
  private last: Sample | null = null;
  private submittedPerSec: number | null = null;
  private finishedPerSec: number | null = null;
  private readonly history: number[] = [];

  record(stats: GetStatsResponse): void {
    const sample: Sample = { startedAtMs: stats.startedAtMs, nowMs: stats.nowMs, submitted: stats.submittedTotal, finished: stats.finishedTotal };
    const last = this.last;
    this.last = sample;
    if (!last || last.startedAtMs !== sample.startedAtMs || sample.submitted < last.submitted || sample.finished < last.finished) return;
    const seconds = (sample.nowMs - last.nowMs) / 1000;
    // Two answers in the same millisecond (a refresh right after an action) say nothing about a rate.
    if (seconds < 0.2) return;
    this.submittedPerSec = (sample.submitted - last.submitted) / seconds;
    this.finishedPerSec = (sample.finished - last.finished) / seconds;
    this.history.push(this.finishedPerSec);
    if (this.history.length > THROUGHPUT_HISTORY) this.history.shift();
  }

  /** The overview of `stats`, received at `receivedAtMs` on the local clock. */
  overview(stats: GetStatsResponse, receivedAtMs: number = stats.nowMs): Overview {
    return {
      version: stats.version,
      startedAtMs: stats.startedAtMs,
      nowMs: stats.nowMs,
      clockOffsetMs: stats.nowMs - receivedAtMs,
      counts: countsFromProto(stats.counts),
      submittedTotal: stats.submittedTotal,
      finishedTotal: stats.finishedTotal,
      submittedPerSec: this.submittedPerSec,
      finishedPerSec: this.finishedPerSec,
      finishedHistory: [...this.history],
      queueWaitP50Ms: stats.queueWaitP50Ms,
      queueWaitP95Ms: stats.queueWaitP95Ms,
    };
  }
}

/**
 * Jobs reaching a final state, per queue, in one-second buckets over a sliding window, from the
 * WatchEvents stream. Memory is bounded: at most `windowSec` buckets per queue.
 */
export class QueueRates {
  private readonly buckets = new Map<string, Map<number, number>>();

  constructor(private readonly windowSec = 10) {}

  record(events: readonly JobEvent[]): void {
    for (const event of events) {
      if (!isTerminal(statusOf(event.status))) continue;
      let queue = this.buckets.get(event.queue);
      if (!queue) this.buckets.set(event.queue, (queue = new Map()));
      const second = Math.floor(event.atMs / 1000);
      queue.set(second, (queue.get(second) ?? 0) + 1);
      if (queue.size > this.windowSec + 2) this.prune(queue, second);
    }
  }

  /** Finished jobs per second over the last full `windowSec` seconds before `nowMs`. */
  rate(queue: string, nowMs: number): number {
    const buckets = this.buckets.get(queue);
    if (!buckets) return 0;
    const current = Math.floor(nowMs / 1000);
    this.prune(buckets, current);
    let total = 0;
    for (const [second, count] of buckets) if (second < current && second >= current - this.windowSec) total += count;
    return total / this.windowSec;
  }

  private prune(buckets: Map<number, number>, current: number): void {
    for (const second of buckets.keys()) if (second < current - this.windowSec) buckets.delete(second);
  }
}
