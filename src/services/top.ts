/**
 * `nucleus top`: the live terminal UI, or, when there is no terminal (or with --once), one
 * snapshot of the cluster as text or JSON. React and Ink are imported only when a screen is drawn,
 * so that they cost nothing to the other commands and `--json`.
 */
import { preferLiveTerminal, preferProductionReact } from '../tui/react-mode.js';
import { ThroughputMeter, jobRowFromProto, queuesFromProto, workersFromProto } from '../tui/cluster-model.js';
import { statusToProto } from '../rpc/convert.js';
import type { JobStatus } from '../core/job.js';
import type { ClusterData } from '../tui/model.js';
import type { MasterClient } from '../rpc/client.js';

export interface SnapshotOptions {
  /** Which jobs to list. */
  status: JobStatus;
  /** How many of them, newest first (oldest first for queued and scheduled). */
  limit: number;
}

/** Reads stats and one page of jobs; throughput needs two readings, so a snapshot has totals only. */
export async function topSnapshot(client: MasterClient, options: SnapshotOptions): Promise<ClusterData> {
  const [stats, page] = await Promise.all([
    client.call('getStats', {}),
    client.call('listJobs', {
      statuses: [statusToProto(options.status)],
      limit: options.limit,
      newestFirst: options.status !== 'queued' && options.status !== 'scheduled',
    }),
  ]);
  const meter = new ThroughputMeter();
  meter.record(stats);
  return {
    address: client.options.address,
    connection: { state: 'connected' },
    streaming: null,
    overview: meter.overview(stats, Date.now()),
    queues: queuesFromProto(stats, null),
    workers: workersFromProto(stats),
    jobs: { status: options.status, rows: page.jobs.map(jobRowFromProto), more: page.nextPageToken !== '', loaded: true, error: null },
    detail: null,
  };
}

/** The snapshot as one JSON document for scripts. */
export function snapshotJson(data: ClusterData) {
  const o = data.overview!;
  return {
    master: data.address,
    version: o.version,
    uptimeMs: o.nowMs - o.startedAtMs,
    counts: o.counts,
    submittedTotal: o.submittedTotal,
    finishedTotal: o.finishedTotal,
    queueWaitP50Ms: o.queueWaitP50Ms,
    queueWaitP95Ms: o.queueWaitP95Ms,
    queues: data.queues.map((q) => ({
      name: q.name,
      paused: q.paused,
      counts: q.counts,
      oldestWaitMs: q.oldestQueuedAtMs ? o.nowMs - q.oldestQueuedAtMs : null,
    })),
    workers: data.workers.map((w) => ({
      id: w.id,
      hostname: w.hostname,
      pid: w.pid,
      alive: w.alive,
      draining: w.draining,
      busy: w.busy,
      concurrency: w.concurrency,
      lastHeartbeatAgoMs: o.nowMs - w.lastHeartbeatMs,
      jobsDone: w.jobsDone,
      runningJobIds: w.runningJobIds,
    })),
    jobs: {
      status: data.jobs.status,
      more: data.jobs.more,
      rows: data.jobs.rows,
    },
  };
}

/** The snapshot drawn as the live screen would show it, sized to fit everything. */
export async function snapshotText(data: ClusterData, columns: number): Promise<string> {
  preferProductionReact();
  const { renderSnapshot } = await import('../tui/snapshot.js');
  return renderSnapshot(data, columns);
}

/** Runs the live UI until the user quits. */
export async function watchTop(client: MasterClient): Promise<void> {
  preferProductionReact();
  preferLiveTerminal();
  const { runTop } = await import('../tui/run-top.js');
  await runTop({ client, address: client.options.address });
}
