/**
 * How the terminal's rows are shared between the panes. Pure. The frame is kept one row shorter
 * than the terminal: a frame as tall as the terminal makes Ink clear the whole screen on every
 * redraw, which flickers.
 */

export interface TerminalSize {
  columns: number;
  rows: number;
}

export interface Layout {
  /** Visible table rows of each pane. */
  queueRows: number;
  workerRows: number;
  jobRows: number;
  /** Content lines of the full-height body (job detail, help). */
  bodyLines: number;
}

/** Lines the chrome takes: overview 3, status bar 1, borders and headers of the three panes. */
const OVERVIEW_LINES = 3;
const STATUS_LINES = 1;
const QUEUES_CHROME = 3; // border 2 + header
const WORKERS_CHROME = 3;
const JOBS_CHROME = 4; // border 2 + tabs + header

export function computeLayout(size: TerminalSize, counts: { queues: number; workers: number; banner: boolean }): Layout {
  const frame = Math.max(16, size.rows - 1);
  const chrome = OVERVIEW_LINES + STATUS_LINES + (counts.banner ? 1 : 0);
  const available = Math.max(3, frame - chrome - QUEUES_CHROME - WORKERS_CHROME - JOBS_CHROME);
  const queueRows = Math.min(Math.max(counts.queues, 1), Math.max(1, Math.floor(available * 0.25)));
  const workerRows = Math.min(Math.max(counts.workers, 1), Math.max(1, Math.floor(available * 0.3)));
  const jobRows = Math.max(1, available - queueRows - workerRows);
  // Detail and help replace the three panes: one bordered box with the same total height.
  const bodyLines = queueRows + workerRows + jobRows + QUEUES_CHROME + WORKERS_CHROME + JOBS_CHROME - 2;
  return { queueRows, workerRows, jobRows, bodyLines };
}

/** The first row to show so that `cursor` is visible in a window of `height` rows over `length` rows. */
export function windowStart(cursor: number, height: number, length: number): number {
  // Stateless on purpose: the cursor sits on the last visible row once the list scrolls.
  return Math.max(0, Math.min(cursor - height + 1, length - height));
}
