/**
 * One picture of the cluster, for `nucleus top --once` and anything that is not a terminal: the
 * live screen's panes rendered once to text, sized to show every queue, worker and listed job.
 */
import { renderToString } from 'ink';
import { Screen } from './components/Screen.js';
import { initialUiState } from './reducer.js';
import type { ClusterData } from './model.js';

export function renderSnapshot(data: ClusterData, columns: number, nowMs = Date.now()): string {
  const ui = initialUiState({ tab: data.jobs.status });
  const queueRows = Math.max(1, data.queues.length);
  const workerRows = Math.max(1, data.workers.length);
  const jobRows = Math.max(1, data.jobs.rows.length);
  const layout = { queueRows, workerRows, jobRows, bodyLines: queueRows + workerRows + jobRows + 8 };
  return renderToString(<Screen data={data} ui={ui} size={{ columns, rows: 1000 }} nowMs={nowMs} layout={layout} snapshot />, { columns });
}
