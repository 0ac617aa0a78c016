/**
 * Observes when submitted jobs finish, for the submit->completed latency of `nucleus bench`.
 *
 * Two ways, as a client of the public API would see it:
 * - `events`: one WatchEvents stream for the bench queue; a job counts as finished when its
 *   terminal event arrives here. Costs the master one stream, no call per job.
 * - `results`: a GetJobResult call with wait=true per job, issued right after its submit ack.
 *   Costs a unary call per job; independent of how the master batches events.
 *
 * Events can be dropped by the master when a stream falls too far behind, so the tracker also
 * reconciles with GetStats: when the queue's finished count says every job is done but some
 * terminal events never came, those jobs count as finished (at the time GetStats said so) but
 * give no latency sample, and the report says how many.
 */
import type { ClientReadableStream } from '@grpc/grpc-js';
import { JobStatus, type JobEvents, type StatusCount } from '../rpc/generated/nucleus/v1/jobs.js';
import type { MasterClient } from '../rpc/client.js';
import { Samples } from './stats.js';

export type ObserveMode = 'events' | 'results';

const TERMINAL = new Set<JobStatus>([JobStatus.JOB_STATUS_COMPLETED, JobStatus.JOB_STATUS_FAILED, JobStatus.JOB_STATUS_DEAD_LETTER, JobStatus.JOB_STATUS_CANCELLED]);
/** Events for ids not (yet) acknowledged to us are kept this long, then forgotten. */
const EARLY_TTL_MS = 30_000;
const EARLY_PRUNE_AT = 50_000;

export interface CompletionCounts {
  /** Jobs seen finished (any terminal status). */
  finished: number;
  /** Of those, jobs that did not complete (failed, dead letter, cancelled). */
  notCompleted: number;
  /** Finished according to the master's counts, but their event never arrived. */
  unobserved: number;
}

export class CompletionTracker {
  /** Submit time (monotonic ms) of every acknowledged job not yet seen finished. */
  private readonly pending = new Map<string, number>();
  /** Terminal events that arrived before the submit ack: id -> [arrival, completed?]. */
  private readonly early = new Map<string, [number, boolean]>();
  private stream: ClientReadableStream<JobEvents> | null = null;
  private streamError: Error | null = null;
  private baselineFinished = 0;
  private expected = 0;
  readonly latency = new Samples();
  readonly counts: CompletionCounts = { finished: 0, notCompleted: 0, unobserved: 0 };
  /** Monotonic time of the last finish seen. */
  lastFinishAt = 0;

  constructor(
    private readonly client: MasterClient,
    private readonly queue: string,
    private readonly mode: ObserveMode,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Opens the event stream (in `events` mode) and takes the queue's finished count as a baseline. */
  async start(): Promise<void> {
    if (this.mode === 'events') {
      const stream = this.client.raw.watchEvents({ queues: [this.queue] });
      stream.on('data', (batch: JobEvents) => this.onEvents(batch));
      stream.on('error', (error: Error & { code?: number }) => {
        if (error.code !== 1 /* CANCELLED, by stop() */) this.streamError = error;
      });
      this.stream = stream;
    }
    // Also a barrier: this call travels on the same connection after the WatchEvents request, so
    // by the time it answers the master has subscribed the stream.
    this.baselineFinished = await this.finishedOnMaster();
  }

  /** Records a submit acknowledged at `ackAt` for a job submitted at `submittedAt`. */
  expect(jobId: string, submittedAt: number): void {
    this.expected++;
    const early = this.early.get(jobId);
    if (early) {
      this.early.delete(jobId);
      this.finish(early[0] - submittedAt, early[1], early[0]);
      return;
    }
    this.pending.set(jobId, submittedAt);
    if (this.mode === 'results') void this.waitResult(jobId);
  }

  get outstanding(): number {
    return this.pending.size;
  }

  /** The first error of the event stream, if it broke. */
  get error(): Error | null {
    return this.streamError;
  }

  private onEvents(batch: JobEvents): void {
    const at = this.now();
    for (const event of batch.events) {
      if (!TERMINAL.has(event.status)) continue;
      const completed = event.status === JobStatus.JOB_STATUS_COMPLETED;
      const submittedAt = this.pending.get(event.jobId);
      if (submittedAt === undefined) {
        this.rememberEarly(event.jobId, at, completed);
        continue;
      }
      this.pending.delete(event.jobId);
      this.finish(at - submittedAt, completed, at);
    }
  }

  private async waitResult(jobId: string): Promise<void> {
    for (;;) {
      try {
        const response = await this.client.call('getJobResult', { jobId, wait: true, waitTimeoutMs: 60_000 }, 65_000);
        if (!response.finished) continue;
        const submittedAt = this.pending.get(jobId);
        if (submittedAt === undefined) return;
        this.pending.delete(jobId);
        const at = this.now();
        this.finish(at - submittedAt, response.job?.status === JobStatus.JOB_STATUS_COMPLETED, at);
        return;
      } catch (error) {
        this.streamError ??= error as Error;
        return;
      }
    }
  }

  private finish(latencyMs: number, completed: boolean, at: number): void {
    this.counts.finished++;
    if (!completed) this.counts.notCompleted++;
    this.latency.push(latencyMs);
    if (at > this.lastFinishAt) this.lastFinishAt = at;
  }

  private rememberEarly(jobId: string, at: number, completed: boolean): void {
    if (this.early.size >= EARLY_PRUNE_AT) {
      for (const [id, [seen]] of this.early) if (at - seen > EARLY_TTL_MS) this.early.delete(id);
    }
    this.early.set(jobId, [at, completed]);
  }

  private async finishedOnMaster(): Promise<number> {
    const stats = await this.client.call('getStats', {});
    const queue = stats.queues.find((q) => q.name === this.queue);
    return queue ? terminalCount(queue.counts) : 0;
  }

  /**
   * Waits until every acknowledged job is seen finished, or nothing finished for `stallMs`.
   * Checks the master's counts every `checkEveryMs` to account for dropped events.
   */
  async waitAll(stallMs: number, checkEveryMs = 1000): Promise<void> {
    let lastProgress = this.now();
    let lastFinished = this.counts.finished;
    let nextCheck = this.now() + checkEveryMs;
    while (this.pending.size > 0 && !this.streamError) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const now = this.now();
      if (this.counts.finished !== lastFinished) {
        lastFinished = this.counts.finished;
        lastProgress = now;
      }
      if (now >= nextCheck && this.mode === 'events') {
        nextCheck = now + checkEveryMs;
        const finished = (await this.finishedOnMaster()) - this.baselineFinished;
        if (finished >= this.expected && this.pending.size > 0) {
          // Give in-flight event batches one more check interval before calling them lost.
          await new Promise((resolve) => setTimeout(resolve, checkEveryMs));
          if (this.pending.size === 0) break;
          this.counts.unobserved += this.pending.size;
          this.counts.finished += this.pending.size;
          this.lastFinishAt = this.now();
          this.pending.clear();
          break;
        }
      }
      if (now - lastProgress > stallMs) break;
    }
  }

  stop(): void {
    this.stream?.cancel();
    this.stream = null;
  }
}

function terminalCount(counts: StatusCount[]): number {
  let n = 0;
  for (const c of counts) if (TERMINAL.has(c.status)) n += c.count;
  return n;
}
