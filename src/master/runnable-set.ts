/**
 * The runnable set: every queued job, in memory, in dispatch order, so that picking the next job
 * never touches the store. Order: priority (0 first), then jobs put back at the front (a lost
 * worker's), then order of arrival (job id).
 *
 * Layout: one bucket per (queue, type); in each, one FIFO of ids per priority level plus a front
 * stack per level. A worker only takes types it can run, so a pick looks at the buckets of its
 * queues and types and takes the best head: O(buckets) per pick, independent of the number of jobs.
 * Memory is about 8 bytes per queued job.
 */
import { JOB_LIMITS } from '../core/job.js';

/** A growable ring buffer of job ids. */
class IdQueue {
  private items: Float64Array = new Float64Array(16);
  private head = 0;
  size = 0;

  push(id: number): void {
    if (this.size === this.items.length) this.grow();
    this.items[(this.head + this.size) % this.items.length] = id;
    this.size++;
  }

  unshift(id: number): void {
    if (this.size === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = id;
    this.size++;
  }

  peek(): number {
    return this.items[this.head];
  }

  shift(): number {
    const id = this.items[this.head];
    this.head = (this.head + 1) % this.items.length;
    this.size--;
    if (this.size === 0) this.head = 0;
    return id;
  }

  remove(id: number): boolean {
    for (let i = 0; i < this.size; i++) {
      const index = (this.head + i) % this.items.length;
      if (this.items[index] !== id) continue;
      for (let j = i; j < this.size - 1; j++) {
        this.items[(this.head + j) % this.items.length] = this.items[(this.head + j + 1) % this.items.length];
      }
      this.size--;
      return true;
    }
    return false;
  }

  private grow(): void {
    const next = new Float64Array(this.items.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}

const LEVELS = JOB_LIMITS.maxPriority + 1;

class Bucket {
  /** Per priority: jobs put back at the front (most recent first) and the arrival-order FIFO. */
  readonly front = Array.from({ length: LEVELS }, () => new IdQueue());
  readonly fifo = Array.from({ length: LEVELS }, () => new IdQueue());
  size = 0;
  constructor(
    readonly queue: string,
    readonly type: string,
  ) {}

  /** The best entry's sort key: priority, front before fifo, then id. */
  best(): { level: number; front: boolean; id: number } | null {
    if (this.size === 0) return null;
    for (let level = 0; level < LEVELS; level++) {
      if (this.front[level].size > 0) return { level, front: true, id: this.front[level].peek() };
      if (this.fifo[level].size > 0) return { level, front: false, id: this.fifo[level].peek() };
    }
    return null;
  }
}

export interface Pick {
  id: number;
  queue: string;
  type: string;
  priority: number;
}

export class RunnableSet {
  private readonly buckets = new Map<string, Bucket>();
  private readonly byQueue = new Map<string, Bucket[]>();
  private total = 0;

  get size(): number {
    return this.total;
  }

  add(job: { id: number; queue: string; type: string; priority: number; front: boolean }): void {
    const bucket = this.bucket(job.queue, job.type);
    if (job.front) bucket.front[job.priority].unshift(job.id);
    else bucket.fifo[job.priority].push(job.id);
    bucket.size++;
    this.total++;
  }

  /** Removes a job (cancelled while queued). O(n) in its level, which is fine for a rare event. */
  remove(job: { id: number; queue: string; type: string; priority: number }): boolean {
    const bucket = this.buckets.get(key(job.queue, job.type));
    if (!bucket) return false;
    const removed = bucket.front[job.priority].remove(job.id) || bucket.fifo[job.priority].remove(job.id);
    if (removed) {
      bucket.size--;
      this.total--;
    }
    return removed;
  }

  /** Whether any job could go to a worker of these queues and types. */
  hasWork(queues: ReadonlySet<string>, types: ReadonlySet<string>, paused: ReadonlySet<string>): boolean {
    for (const queue of queues) {
      if (paused.has(queue)) continue;
      for (const bucket of this.byQueue.get(queue) ?? []) if (bucket.size > 0 && types.has(bucket.type)) return true;
    }
    return false;
  }

  /** Takes the next job for a worker of these queues and types, or null. */
  take(queues: ReadonlySet<string>, types: ReadonlySet<string>, paused: ReadonlySet<string>): Pick | null {
    let bestBucket: Bucket | null = null;
    let best: { level: number; front: boolean; id: number } | null = null;
    for (const queue of queues) {
      if (paused.has(queue)) continue;
      for (const bucket of this.byQueue.get(queue) ?? []) {
        if (bucket.size === 0 || !types.has(bucket.type)) continue;
        const head = bucket.best();
        if (head && (!best || better(head, best))) {
          best = head;
          bestBucket = bucket;
        }
      }
    }
    if (!best || !bestBucket) return null;
    (best.front ? bestBucket.front : bestBucket.fifo)[best.level].shift();
    bestBucket.size--;
    this.total--;
    return { id: best.id, queue: bestBucket.queue, type: bestBucket.type, priority: best.level };
  }

  /** Queued count per queue (for stats). */
  depthByQueue(): Map<string, number> {
    const depth = new Map<string, number>();
    for (const [queue, buckets] of this.byQueue) depth.set(queue, buckets.reduce((n, b) => n + b.size, 0));
    return depth;
  }

  /** Queued count per job type, over every queue: O(buckets). */
  sizeByType(): Map<string, number> {
    const sizes = new Map<string, number>();
    for (const bucket of this.buckets.values()) sizes.set(bucket.type, (sizes.get(bucket.type) ?? 0) + bucket.size);
    return sizes;
  }

  /** The smallest id waiting in a queue: its oldest arrival (ids grow with time). */
  oldestId(queue: string): number | null {
    let oldest: number | null = null;
    for (const bucket of this.byQueue.get(queue) ?? []) {
      for (let level = 0; level < LEVELS; level++) {
        for (const lane of [bucket.front[level], bucket.fifo[level]]) {
          if (lane.size > 0 && (oldest === null || lane.peek() < oldest)) oldest = lane.peek();
        }
      }
    }
    return oldest;
  }

  private bucket(queue: string, type: string): Bucket {
    const k = key(queue, type);
    let bucket = this.buckets.get(k);
    if (!bucket) {
      bucket = new Bucket(queue, type);
      this.buckets.set(k, bucket);
      const list = this.byQueue.get(queue) ?? [];
      list.push(bucket);
      this.byQueue.set(queue, list);
    }
    return bucket;
  }
}

const key = (queue: string, type: string): string => `${queue}\u0000${type}`;

function better(a: { level: number; front: boolean; id: number }, b: { level: number; front: boolean; id: number }): boolean {
  if (a.level !== b.level) return a.level < b.level;
  if (a.front !== b.front) return a.front;
  return a.front ? false : a.id < b.id;
}
