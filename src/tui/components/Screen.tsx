/**
 * The whole screen for one (data, UI state, size): overview, then either the three panes or a
 * full-height job detail or help, then the status bar. Renders only; no input, no I/O, so that
 * `nucleus top --once` prints it with renderToString and tests render it from a fixed snapshot.
 */
import { Box } from 'ink';
import { LostBanner, Overview } from './Overview.js';
import { QueuesPane } from './QueuesPane.js';
import { WorkersPane } from './WorkersPane.js';
import { JobsPane } from './JobsPane.js';
import { JobDetailPane } from './JobDetail.js';
import { HelpPane } from './HelpPane.js';
import { StatusBar } from './StatusBar.js';
import { matchJobs, parseFilter } from '../filter.js';
import { computeLayout, type Layout, type TerminalSize } from '../layout.js';
import { jobCursor, type UiState } from '../reducer.js';
import type { ClusterData, JobRow } from '../model.js';

/** The jobs the jobs pane lists: the page for the current tab, narrowed by the filter's words. */
export function jobsOnScreen(data: ClusterData, ui: UiState): JobRow[] {
  if (data.jobs.status !== ui.tab) return [];
  return matchJobs(data.jobs.rows, parseFilter(ui.filter));
}

export interface ScreenProps {
  data: ClusterData;
  ui: UiState;
  size: TerminalSize;
  /** Local clock, for how long the master has been away. */
  nowMs: number;
  /** Pane heights; by default shared out of `size.rows` (a one-off snapshot sizes them to fit everything). */
  layout?: Layout;
  /** A printed snapshot: no focus, no cursor, no key hints. */
  snapshot?: boolean;
}

export function Screen({ data, ui, size, nowMs, layout: fixed, snapshot = false }: ScreenProps) {
  const focus = (pane: UiState['pane']): boolean => !snapshot && ui.pane === pane;
  const lost = data.connection.state === 'lost';
  const layout = fixed ?? computeLayout(size, { queues: data.queues.length, workers: data.workers.length, banner: lost });
  const masterNow = nowMs + (data.overview?.clockOffsetMs ?? 0);
  const rows = jobsOnScreen(data, ui);
  let body;
  if (ui.help) {
    body = <HelpPane lines={layout.bodyLines} />;
  } else if (ui.detailJobId !== null) {
    const detail = data.detail?.jobId === ui.detailJobId ? data.detail : { jobId: ui.detailJobId, job: null, error: null };
    body = <JobDetailPane detail={detail} nowMs={masterNow} lines={layout.bodyLines} width={size.columns} />;
  } else {
    body = (
      <>
        <QueuesPane queues={data.queues} nowMs={masterNow} height={layout.queueRows} width={size.columns} focused={focus('queues')} cursor={ui.cursor.queues} />
        <WorkersPane workers={data.workers} nowMs={masterNow} height={layout.workerRows} width={size.columns} focused={focus('workers')} cursor={ui.cursor.workers} />
        <JobsPane
          page={data.jobs}
          rows={rows}
          tab={ui.tab}
          counts={data.overview?.counts ?? null}
          filter={ui.filter}
          editingFilter={ui.editingFilter}
          nowMs={masterNow}
          height={layout.jobRows}
          width={size.columns}
          focused={focus('jobs')}
          cursor={jobCursor(ui, rows)}
        />
      </>
    );
  }
  return (
    <Box flexDirection="column" width={size.columns}>
      <Overview data={data} nowMs={nowMs} masterNowMs={masterNow} width={size.columns} snapshot={snapshot} />
      <LostBanner data={data} nowMs={nowMs} />
      {body}
      {!snapshot && <StatusBar ui={ui} />}
    </Box>
  );
}
