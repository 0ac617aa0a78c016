/**
 * Jobs in and out per second over the last 15 minutes, for the dashboard's chart and the queues'
 * out rates: the master's submitted and finished totals sampled every 10 s into a ring of 90, and
 * finished jobs counted per queue from the change stream. Two counters read per sample; nothing
 * is computed per job beyond one map increment.
 */
import { isTerminal } from '../core/job.js';
import type { Master } from '../master/master.js';

export const SAMPLE_MS = 10_000;
export const SAMPLES = 90;

interface Sample {
  at: number;
  submitted: number;
  finished: number;
  byQueue: Map<string, number>;
}

export interface ThroughputView {
  /** Bucket width in ms. */
  stepMs: number;
  /** Oldest first: [end of bucket (ms since the epoch), in per second, out per second]. */
  points: Array<[number, number, number]>;
  /** Jobs finished per second over the last minute, by queue. */
  outPerSecondByQueue: Record<string, number>;
}

export class Throughput {
  private readonly samples: Sample[] = [];
  private finishedByQueue = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly master: Master,
    private readonly now: () => number = Date.now,
  ) {
    this.unsubscribe = master.watch((change) => {
      if (isTerminal(change.status)) this.finishedByQueue.set(change.queue, (this.finishedByQueue.get(change.queue) ?? 0) + 1);
    });
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  private sample(): void {
    const { submittedTotal, finishedTotal } = this.master.scheduler;
    this.samples.push({ at: this.now(), submitted: submittedTotal, finished: finishedTotal, byQueue: this.finishedByQueue });
    this.finishedByQueue = new Map();
    if (this.samples.length > SAMPLES + 1) this.samples.shift();
  }

  view(): ThroughputView {
    const points: Array<[number, number, number]> = [];
    for (let i = 1; i < this.samples.length; i++) {
      const a = this.samples[i - 1];
      const b = this.samples[i];
      const seconds = Math.max(1, b.at - a.at) / 1000;
      points.push([b.at, round((b.submitted - a.submitted) / seconds), round((b.finished - a.finished) / seconds)]);
    }
    const recent = this.samples.slice(-6);
    const span = recent.length > 1 ? (recent[recent.length - 1].at - recent[0].at) / 1000 : 0;
    const totals = new Map<string, number>();
    for (const s of recent.slice(1)) for (const [q, n] of s.byQueue) totals.set(q, (totals.get(q) ?? 0) + n);
    const outPerSecondByQueue: Record<string, number> = Object.create(null);
    for (const [q, n] of totals) outPerSecondByQueue[q] = span > 0 ? round(n / span) : 0;
    return { stepMs: SAMPLE_MS, points, outPerSecondByQueue };
  }

  close(): void {
    clearInterval(this.timer);
    this.unsubscribe();
  }
}

const round = (n: number): number => Math.round(n * 100) / 100;
