/**
 * V8 settings by role, applied when this module is imported, which the entry points do first,
 * before any other module loads and allocates.
 *
 * `nucleus worker`: a worker allocates a little per job at a high rate, and V8 answers by growing
 * its young generation up to 16 MiB per semi-space, which becomes most of a busy worker's memory.
 * Keeping it at its starting size held a worker draining no-op jobs at 64 in flight near 88 MiB
 * RSS instead of about 116, at the same throughput (bench/README.md; 75 MiB since other changes):
 * little of what a worker allocates survives, so the extra scavenges are cheap. V8 reads the
 * growth factor whenever the young generation would grow, so setting it at run time works; a
 * flag given on the command line (`node --max-semi-space-size=...`) wins.
 */
import v8 from 'node:v8';

export function applyRuntimeFlags(args: readonly string[], execArgv: readonly string[] = process.execArgv): string[] {
  const applied: string[] = [];
  if (args[0] === 'worker' && !execArgv.some((a) => /^--(max-)?semi-space/.test(a))) applied.push('--semi-space-growth-factor=1');
  for (const flag of applied) v8.setFlagsFromString(flag);
  return applied;
}

applyRuntimeFlags(process.argv.slice(2));
