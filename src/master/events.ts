/**
 * Job state changes, as the master publishes them: to `WatchEvents` streams, result waiters,
 * metrics and logs. Listeners run synchronously and must be cheap; the hot path emits one event
 * per change and does nothing else when nobody listens.
 */
import type { JobStatus } from '../core/job.js';

export interface JobChange {
  id: number;
  queue: string;
  type: string;
  status: JobStatus;
  /** Status before the change; null for a new job. */
  previous: JobStatus | null;
  attempt: number;
  workerId: string | null;
  at: number;
  error: string | null;
  /** For running: how long the job waited to be dispatched. */
  waitMs?: number;
  /** For the end of an attempt: how long it ran. */
  durationMs?: number;
}

export type JobChangeListener = (change: JobChange) => void;

export class JobEventBus {
  private readonly listeners = new Set<JobChangeListener>();

  get listening(): boolean {
    return this.listeners.size > 0;
  }

  subscribe(listener: JobChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: JobChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure must never break the scheduler.
      }
    }
  }
}
