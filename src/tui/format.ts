/**
 * Text for the terminal UI: fixed-width cells, ages, rates, sparklines and progress bars. Pure.
 */
import { formatDuration } from '../core/duration.js';
import type { JobStatus } from '../core/job.js';

const SPARKS = '▁▂▃▄▅▆▇█';

/** A sparkline of `values` scaled to their maximum; the last `width` values, right-aligned. */
export function sparkline(values: readonly number[], width: number): string {
  const tail = values.slice(-width);
  const max = Math.max(0, ...tail);
  const line = tail.map((v) => (max <= 0 || v <= 0 ? SPARKS[0] : SPARKS[Math.min(SPARKS.length - 1, Math.round((v / max) * (SPARKS.length - 1)))])).join('');
  return line.padStart(width, ' ');
}

/** `text` on one line (newlines and control characters as spaces), cut or padded to exactly `width` columns; a cut ends with an ellipsis. */
export function cell(raw: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const text = raw.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  const t = text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
  return align === 'right' ? t.padStart(width) : t.padEnd(width);
}

/**
 * Tries of the job's current run (since it was submitted or last re-driven) out of the tries the
 * run may take: "2/4". Not the attempt number: that keeps counting across re-drives, so a job
 * re-driven twice would read "6/4". A running, completed or fatally failed job counts its last
 * attempt; a waiting one counts only those that went wrong.
 */
export function triesText(job: { status: JobStatus; failures: number; maxRetries: number }): string {
  const current = job.status === 'running' || job.status === 'completed' || job.status === 'failed' ? 1 : 0;
  return `${job.failures + current}/${job.maxRetries + 1}`;
}

/** Counts with thousands separators: 1234567 -> "1,234,567". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A rate per second with one decimal under 100: "0.5/s", "12.5/s", "1,250/s"; "-" when unknown. */
export function formatRate(perSec: number | null): string {
  if (perSec === null || !Number.isFinite(perSec)) return '-';
  return perSec < 100 ? `${perSec.toFixed(1)}/s` : `${formatCount(perSec)}/s`;
}

/** How long ago `thenMs` was, at `nowMs`: "3.2s", "4m10s"; "-" for 0 (never). */
export function formatAge(thenMs: number | null, nowMs: number): string {
  if (!thenMs) return '-';
  return formatDuration(Math.max(0, nowMs - thenMs));
}

/** A bar of `width` cells filled to `percent` (0..100). */
export function progressBar(percent: number, width: number): string {
  const p = Math.max(0, Math.min(100, percent));
  const filled = Math.round((p / 100) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

/** A preview of a long text: the first `maxLines` lines, each cut to `width`. */
export function previewLines(text: string, width: number, maxLines: number): string[] {
  const lines = text.split('\n');
  const shown = lines.slice(0, maxLines).map((line) => cell(line, width).trimEnd());
  if (lines.length > maxLines) shown.push(`… ${lines.length - maxLines} more lines`);
  return shown;
}

/** The colour each status is drawn in, everywhere on the screen. */
export const STATUS_COLOR: Record<JobStatus, string> = {
  queued: 'blue',
  scheduled: 'gray',
  running: 'cyan',
  retrying: 'yellow',
  completed: 'green',
  failed: 'red',
  dead_letter: 'magenta',
  cancelled: 'gray',
};
