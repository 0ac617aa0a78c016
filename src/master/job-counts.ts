/**
 * Job counts by queue and status, kept in memory and moved with every change, so that stats,
 * `top` and metrics never count rows. Loaded once from the store at start.
 */
import { ALL_STATUSES, type JobStatus } from '../core/job.js';

export class JobCounts {
  private readonly byQueue = new Map<string, Map<JobStatus, number>>();

  load(rows: Array<{ queue: string; status: JobStatus; count: number }>): void {
    this.byQueue.clear();
    for (const row of rows) this.add(row.queue, row.status, row.count);
  }

  add(queue: string, status: JobStatus, n = 1): void {
    let counts = this.byQueue.get(queue);
    if (!counts) {
      counts = new Map();
      this.byQueue.set(queue, counts);
    }
    counts.set(status, (counts.get(status) ?? 0) + n);
  }

  move(queue: string, from: JobStatus | null, to: JobStatus): void {
    if (from !== null) this.add(queue, from, -1);
    this.add(queue, to, 1);
  }

  queues(): string[] {
    return [...this.byQueue.keys()].sort();
  }

  forQueue(queue: string): Record<JobStatus, number> {
    const counts = this.byQueue.get(queue);
    return Object.fromEntries(ALL_STATUSES.map((s) => [s, counts?.get(s) ?? 0])) as Record<JobStatus, number>;
  }

  total(): Record<JobStatus, number> {
    const total = Object.fromEntries(ALL_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    for (const counts of this.byQueue.values()) for (const [status, n] of counts) total[status] += n;
    return total;
  }
}
