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

/** A WatchEvents reader as the budget sees it: how much it holds, since when, and how to drop it. */
export interface WatchReader {
  buffered(): number;
  /** The budget's `clock` when the oldest event this reader still holds was added; Infinity if none. */
  oldest(): number;
  /** Ends the reader's stream with `reason`; the reader has already left the budget. */
  evict(reason: string): void;
}

/**
 * One ceiling on the events buffered for all WatchEvents readers together. Each reader has its
 * own cap too, but without this one the number of stalled readers multiplied it without bound.
 * When growth takes the total past the ceiling, the reader furthest behind (the one whose oldest
 * held event is oldest; a reader that keeps up holds only what it is sending now) is dropped,
 * until the total fits again.
 */
export class WatchBudget {
  private total = 0;
  private tick = 0;
  private readonly readers = new Set<WatchReader>();

  constructor(readonly limit: number) {}

  get buffered(): number {
    return this.total;
  }

  get readerCount(): number {
    return this.readers.size;
  }

  /** A counter that grows with every event added: the order readers' events came in. */
  get clock(): number {
    return this.tick;
  }

  join(reader: WatchReader): void {
    this.readers.add(reader);
  }

  /** Takes the reader out, with whatever it still held. */
  leave(reader: WatchReader): void {
    if (!this.readers.delete(reader)) return;
    this.total -= reader.buffered();
  }

  grew(count: number): void {
    this.tick += count;
    this.total += count;
    while (this.total > this.limit && this.readers.size > 0) {
      let slowest: WatchReader | null = null;
      for (const r of this.readers) {
        if (!slowest || r.oldest() < slowest.oldest() || (r.oldest() === slowest.oldest() && r.buffered() > slowest.buffered())) slowest = r;
      }
      const held = slowest!.buffered();
      this.leave(slowest!);
      slowest!.evict(
        `WatchEvents: this reader fell ${held} events behind while the master's buffers for all readers were full (${this.limit} events); read faster or watch fewer queues, then reconnect`,
      );
    }
  }

  shrank(count: number): void {
    this.total -= count;
  }
}
