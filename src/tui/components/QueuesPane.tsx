/**
 * Queues: depth by status, paused or not, jobs finished per second, and how long the oldest
 * waiting job has waited.
 */
import { Pane, PANE_CHROME } from './Pane.js';
import { Table, type Column } from './Table.js';
import { formatAge, formatCount, formatRate } from '../format.js';
import type { QueueRow } from '../model.js';

const COLUMNS: Column[] = [
  { title: 'QUEUES', width: 16 },
  { title: 'STATE', width: 7 },
  { title: 'QUEUED', width: 8, align: 'right' },
  { title: 'SCHED', width: 7, align: 'right', drop: 2 },
  { title: 'RUNNING', width: 8, align: 'right' },
  { title: 'RETRY', width: 7, align: 'right', drop: 3 },
  { title: 'DONE', width: 9, align: 'right' },
  { title: 'FAILED', width: 7, align: 'right' },
  { title: 'DEAD', width: 7, align: 'right' },
  { title: 'CANCEL', width: 7, align: 'right', drop: 1 },
  { title: 'OUT', width: 9, align: 'right', drop: 4 },
  { title: 'OLDEST WAIT', width: 0 },
];

export interface QueuesPaneProps {
  queues: QueueRow[];
  nowMs: number;
  height: number;
  /** Terminal columns. */
  width: number;
  focused: boolean;
  cursor: number;
}

export function QueuesPane({ queues, nowMs, height, width, focused, cursor }: QueuesPaneProps) {
  const rows = queues.map((q) => ({
    key: q.name,
    cells: [
      q.name,
      q.paused ? { text: 'paused', color: 'yellow' } : { text: 'active', color: 'green' },
      formatCount(q.counts.queued),
      formatCount(q.counts.scheduled),
      formatCount(q.counts.running),
      formatCount(q.counts.retrying),
      formatCount(q.counts.completed),
      formatCount(q.counts.failed),
      formatCount(q.counts.dead_letter),
      formatCount(q.counts.cancelled),
      formatRate(q.finishedPerSec),
      q.oldestQueuedAtMs ? formatAge(q.oldestQueuedAtMs, nowMs) : '-',
    ],
  }));
  return (
    <Pane lines={height + 1} focused={focused}>
      <Table columns={COLUMNS} rows={rows} width={width - PANE_CHROME} height={height} cursor={focused ? Math.min(cursor, Math.max(0, rows.length - 1)) : null} empty="no queues yet: submit a job (nucleus submit noop)" />
    </Pane>
  );
}
