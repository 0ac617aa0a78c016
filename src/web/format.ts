/** Times, numbers and durations as the pages show them. */

export type TimeZoneSetting = 'local' | 'utc';

let zone: TimeZoneSetting = (localStorage.getItem('nucleus.tz') as TimeZoneSetting | null) ?? 'local';

export const timeZone = (): TimeZoneSetting => zone;
export function setTimeZone(value: TimeZoneSetting): void {
  zone = value;
  localStorage.setItem('nucleus.tz', value);
}

export function absolute(iso: string | number | null): string {
  if (iso === null || iso === '') return '';
  const d = new Date(iso);
  if (zone === 'utc') return `${d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')} UTC`;
  return d.toLocaleString(undefined, { hour12: false });
}

export function relative(iso: string | number | null, now = Date.now()): string {
  if (iso === null || iso === '') return '—';
  const ms = new Date(iso).getTime() - now;
  const s = Math.round(Math.abs(ms) / 1000);
  const text = s < 1 ? 'now' : s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : s < 86400 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`;
  if (text === 'now') return text;
  return ms < 0 ? `${text} ago` : `in ${text}`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
  return `${Math.floor(ms / 3_600_000)}h ${Math.round((ms % 3_600_000) / 60_000)}m`;
}

const numbers = new Intl.NumberFormat();
export const count = (n: number): string => numbers.format(n);

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
