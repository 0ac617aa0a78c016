/**
 * Workers: alive or dead, slots busy of total, heartbeat age, jobs done and the jobs they run now.
 */
import { Pane, PANE_CHROME } from './Pane.js';
import { Table, type Column } from './Table.js';
import { formatAge, formatCount } from '../format.js';
import type { WorkerRow } from '../model.js';

const COLUMNS: Column[] = [
  { title: 'WORKERS', width: 16 },
  { title: 'HOST', width: 22, drop: 2 },
  { title: 'STATE', width: 8 },
  { title: 'SLOTS', width: 7, align: 'right' },
  { title: 'HEARTBEAT', width: 9, align: 'right', drop: 3 },
  { title: 'DONE', width: 9, align: 'right' },
  { title: 'RUNNING JOBS', width: 0 },
];

export interface WorkersPaneProps {
  workers: WorkerRow[];
  nowMs: number;
  height: number;
  /** Terminal columns. */
  width: number;
  focused: boolean;
  cursor: number;
}

const state = (w: WorkerRow) =>
  !w.alive ? { text: 'dead', color: 'red' } : w.draining ? { text: 'draining', color: 'yellow' } : { text: 'alive', color: 'green' };

export function WorkersPane({ workers, nowMs, height, width, focused, cursor }: WorkersPaneProps) {
  const rows = workers.map((w) => ({
    key: w.id,
    dim: !w.alive,
    cells: [
      w.id,
      `${w.hostname}:${w.pid}`,
      state(w),
      { text: `${w.busy}/${w.concurrency}`, color: w.busy >= w.concurrency ? 'yellow' : undefined },
      formatAge(w.lastHeartbeatMs, nowMs),
      formatCount(w.jobsDone),
      w.runningJobIds.length ? w.runningJobIds.join(' ') : '-',
    ],
  }));
  return (
    <Pane lines={height + 1} focused={focused}>
      <Table columns={COLUMNS} rows={rows} width={width - PANE_CHROME} height={height} cursor={focused ? Math.min(cursor, Math.max(0, rows.length - 1)) : null} empty="no workers connected: start one with nucleus worker --master <address>" emptyColor="yellow" />
    </Pane>
  );
}
