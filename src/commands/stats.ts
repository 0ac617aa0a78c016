import { ClientCommand } from './base.js';
import { statusFromProto } from '../rpc/convert.js';
import { formatDuration } from '../core/duration.js';
import type { GetStatsResponse, StatusCount } from '../rpc/generated/nucleus/v1/jobs.js';

const countsObject = (counts: StatusCount[]) => Object.fromEntries(counts.map((c) => [statusFromProto(c.status), c.count]));

export function statsJson(s: GetStatsResponse) {
  return {
    version: s.version,
    uptimeMs: s.nowMs - s.startedAtMs,
    counts: countsObject(s.counts),
    submittedTotal: s.submittedTotal,
    finishedTotal: s.finishedTotal,
    queueWaitP50Ms: s.queueWaitP50Ms,
    queueWaitP95Ms: s.queueWaitP95Ms,
    queues: s.queues.map((q) => ({ name: q.name, paused: q.paused, counts: countsObject(q.counts), oldestQueuedAt: q.oldestQueuedAtMs ? new Date(q.oldestQueuedAtMs).toISOString() : null })),
    workers: s.workers.map((w) => ({ id: w.id, hostname: w.hostname, pid: w.pid, alive: w.alive, draining: w.draining, concurrency: w.concurrency, busy: w.busy, jobsDone: w.jobsDone, lastHeartbeatAgoMs: s.nowMs - w.lastHeartbeatMs, queues: w.queues, runningJobIds: w.runningJobIds })),
  };
}

export class Stats extends ClientCommand {
  static override summary = 'Show counts by status and queue, and the connected workers.';

  async run(): Promise<void> {
    const { flags } = await this.parse(Stats);
    const s = await this.client(flags).call('getStats', {});
    const view = statsJson(s);
    this.print(view, () => {
      const nonzero = (c: Record<string, number>) => Object.entries(c).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join('  ') || 'empty';
      const lines = [
        `master ${view.version}, up ${formatDuration(view.uptimeMs)}; submitted ${view.submittedTotal}, finished ${view.finishedTotal}; queue wait p50 ${formatDuration(view.queueWaitP50Ms)} p95 ${formatDuration(view.queueWaitP95Ms)}`,
        `jobs: ${nonzero(view.counts)}`,
        ...view.queues.map((q) => `queue ${q.name}${q.paused ? ' (paused)' : ''}: ${nonzero(q.counts)}`),
        ...(view.workers.length === 0 ? ['no workers connected'] : view.workers.map((w) => `worker ${w.id} (${w.hostname} pid ${w.pid}): ${w.busy}/${w.concurrency} busy, ${w.jobsDone} done, heartbeat ${formatDuration(w.lastHeartbeatAgoMs)} ago${w.draining ? ', draining' : ''}`)),
      ];
      return lines.join('\n');
    });
  }
}
