/**
 * Durations as people write them: `500ms`, `30s`, `5m`, `2h`, `7d`. Parsed once, at the edges,
 * into milliseconds. A bare number other than 0 is refused: `--delay 5` meant five seconds to the
 * person who typed it as often as five milliseconds, so the unit is asked for rather than guessed.
 */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;

/** Parses a duration into ms, or returns an error message naming the expected form. */
export function parseDuration(text: string): number | { error: string } {
  const match = PATTERN.exec(text.trim());
  if (!match) return { error: `"${text}" is not a duration (use e.g. 500ms, 30s, 5m, 2h, 7d)` };
  if (match[2] === undefined && Number(match[1]) !== 0) {
    return { error: `"${text.trim()}" has no unit; write ${match[1]}s or ${Math.round(Number(match[1]) * 1000)}ms` };
  }
  const ms = Number(match[1]) * UNITS[match[2] ?? 'ms'];
  if (!Number.isFinite(ms) || ms > Number.MAX_SAFE_INTEGER) return { error: `"${text}" is too large` };
  return Math.round(ms);
}

/** Formats ms for people: 1500 -> "1.5s", 90000 -> "1m30s". */
export function formatDuration(ms: number): string {
  // Round to the smaller unit first, then split, so that 119999 ms reads "2m0s", never "1m60s".
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  if (Math.round(ms / 100) < 600) return `${Number((ms / 1000).toFixed(1))}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  const m = Math.round(ms / 60_000);
  if (m < 1440) return `${Math.floor(m / 60)}h${m % 60}m`;
  const h = Math.round(ms / 3_600_000);
  return `${Math.floor(h / 24)}d${h % 24}h`;
}
