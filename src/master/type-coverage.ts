/**
 * Which job types the connected workers run, so that a job nobody can run says so instead of
 * waiting without a word (a typo such as `fibonaci`). Read from the scheduler's sessions and
 * runnable set only: no store access, O(workers) per question and O(buckets x workers) per scrape.
 */
import { nearest } from '../core/nearest.js';
import type { JobRecord } from '../core/job.js';
import type { Scheduler } from './scheduler.js';

export class TypeCoverage {
  /**
   * Types workers have announced, for "did you mean": those of the workers connected now, and of
   * any seen connected at an earlier question (kept, so a worker that has gone still helps).
   */
  private readonly announced = new Set<string>();

  constructor(private readonly scheduler: Scheduler) {}

  /** Whether a connected, live worker runs `type`. */
  handles(type: string): boolean {
    for (const session of this.scheduler.sessions.values()) if (session.alive && session.types.has(type)) return true;
    return false;
  }

  /** Why a waiting job of `type` cannot run now; null when a connected worker handles it. */
  waiting(type: string): string | null {
    return this.handles(type) ? null : `no connected worker handles \`${type}\``;
  }

  /** The submit-time warning for `type` (with the closest announced type), or null. */
  warning(type: string): string | null {
    const reason = this.waiting(type);
    if (!reason) return null;
    for (const session of this.scheduler.sessions.values()) for (const t of session.types) this.announced.add(t);
    const guess = nearest(type, this.announced);
    return `${reason}${guess ? ` (did you mean \`${guess}\`?)` : ''}; the job waits until one connects`;
  }

  /** A job as clients see it: a queued one that no connected worker can run says so. */
  annotate<J extends JobRecord>(job: J): J {
    if (job.status !== 'queued') return job;
    const waiting = this.waiting(job.type);
    return waiting ? { ...job, waiting } : job;
  }

  /** Queued jobs per type that no connected worker handles (for /metrics). */
  unhandledQueued(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [type, n] of this.scheduler.runnable.sizeByType()) if (n > 0 && !this.handles(type)) out.set(type, n);
    return out;
  }
}
