/**
 * Raises this process's open-file soft limit to its hard limit at start, so that the master's
 * connection caps, not a default of 1,024 descriptors, decide when clients are refused. Node has
 * no setrlimit without a native addon; `prlimit` (util-linux, on every Linux system Nucleus
 * targets) sets it for a running process of the same user. Where it is missing or refused, the
 * limit stays as it was and the result says so; it is never a reason not to start.
 */
import { execFileSync } from 'node:child_process';

export interface FileLimit {
  soft: number | 'unlimited';
  hard: number | 'unlimited';
  /** True when this call raised the soft limit. */
  raised: boolean;
  /** Why the soft limit could not be read or raised, when it could not. */
  problem?: string;
}

const parse = (text: string): number | 'unlimited' => (text === 'unlimited' || text === '-1' ? 'unlimited' : Number(text));

function read(pid: number): { soft: number | 'unlimited'; hard: number | 'unlimited' } {
  const out = execFileSync('prlimit', ['--pid', String(pid), '--nofile', '--output', 'SOFT,HARD', '--noheadings', '--raw'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 2_000 });
  const [soft, hard] = out.trim().split(/\s+/);
  return { soft: parse(soft), hard: parse(hard) };
}

export function raiseFileLimit(pid = process.pid): FileLimit {
  if (process.platform !== 'linux') return { soft: 0, hard: 0, raised: false, problem: `not raised on ${process.platform}` };
  let limits;
  try {
    limits = read(pid);
  } catch (error) {
    return { soft: 0, hard: 0, raised: false, problem: `prlimit unavailable (${(error as Error).message.split('\n')[0].slice(0, 80)})` };
  }
  if (limits.soft === limits.hard) return { ...limits, raised: false };
  try {
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${limits.hard}:${limits.hard}`], { stdio: 'ignore', timeout: 2_000 });
    const after = read(pid);
    return { ...after, raised: after.soft !== limits.soft };
  } catch (error) {
    return { ...limits, raised: false, problem: `prlimit refused (${(error as Error).message.split('\n')[0].slice(0, 80)})` };
  }
}
