/**
 * A reader for the Prometheus text exposition format, enough for tests to look up one sample by
 * name and exact labels; and `promtool check metrics`, the reference linter.
 */
import { spawnSync } from 'node:child_process';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (match[2] ?? '').matchAll(LABEL)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/**
 * The value of the sample with exactly these labels (ignoring any in `ignore`). A missing
 * counter reads 0, as Prometheus treats a series that has not appeared yet.
 */
export function sample(samples: Sample[], name: string, labels: Record<string, string>, ignore: string[] = ['worker']): number {
  const wanted = Object.entries(labels);
  const found = samples.filter((s) => {
    if (s.name !== name) return false;
    const own = Object.entries(s.labels).filter(([k]) => !ignore.includes(k) || k in labels);
    return own.length === wanted.length && wanted.every(([k, v]) => s.labels[k] === v);
  });
  if (found.length > 1) throw new Error(`${name}${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value ?? 0;
}

/** promtool must be installed (Debian: apt-get install prometheus); tests fail, never skip, without it. */
export function promtoolCheckMetrics(text: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error) throw new Error(`promtool is needed for this test (apt-get install prometheus): ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
