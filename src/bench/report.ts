/**
 * The report of one `nucleus bench` run: a JSON document (`--json`) and its text form. Times are
 * ms, rates per second, memory MiB. Latencies: `ackMs` per submit call, from the call to its
 * answer; `latencyMs` per job, from the start of its submit call to when its completion was seen
 * by the bench (see completions.ts for how).
 */
import type { LatencySummary } from './stats.js';
import type { Mix } from './load.js';
import type { ObserveMode } from './completions.js';

export interface BenchReport {
  nucleus: string;
  startedAt: string;
  machine: { cpus: number; node: string; platform: string; arch: string };
  target: {
    deployment: 'external' | 'inproc' | 'procs';
    master: string;
    workers?: number;
    workerConcurrency?: number;
    sync?: 'normal' | 'full';
  };
  load: {
    jobs: number;
    /** Jobs sent first the same way and left out of every figure (--warmup). */
    warmup: number;
    loop: 'closed' | 'open';
    concurrency: number | null;
    rate: number | null;
    batch: number;
    /** Single submits went through the client's coalescing submit(). */
    coalesce: boolean;
    type: string;
    payloadBytes: number;
    queue: string;
    mix: Mix;
    observe: ObserveMode | 'none';
  };
  submit: {
    acked: number;
    failedJobs: number;
    calls: number;
    errors: number;
    firstError: string | null;
    elapsedMs: number;
    jobsPerSec: number;
    callsPerSec: number;
    maxInFlight: number;
    ackMs: LatencySummary;
  };
  /** Null with --submit-only. */
  completion: {
    finished: number;
    completed: number;
    notCompleted: number;
    /** Finished per the master's counts, but no event was seen: no latency sample. */
    unobserved: number;
    /** Acknowledged but not seen finished when the bench stopped waiting. */
    missing: number;
    elapsedMs: number;
    jobsPerSec: number;
    latencyMs: LatencySummary;
  } | null;
  reads: {
    status: { calls: number; errors: number; latencyMs: LatencySummary };
    result: { calls: number; errors: number; latencyMs: LatencySummary };
  };
  /** Peak resident set sizes seen while the bench ran (MiB); null where not measured. */
  memory: { benchRssMiB: number; masterRssMiB: number | null; workerRssMiB: number | null };
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n).toString()) : '-');
const lat = (s: LatencySummary) => `p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}  max ${ms(s.max)} ms`;

export function reportText(r: BenchReport): string {
  const t = r.target;
  const where =
    t.deployment === 'external'
      ? `master ${t.master}`
      : `${t.deployment === 'inproc' ? 'master and workers in this process' : 'master and workers as processes'} (${t.workers} x ${t.workerConcurrency}, sync ${t.sync})`;
  const shape = r.load.loop === 'open' ? `${int(r.load.rate ?? 0)} jobs/s offered` : `${r.load.concurrency} calls in flight`;
  const perCall =
    r.load.batch > 1 ? `${int(r.load.batch)} jobs per SubmitJobs call` : r.load.coalesce ? 'one job per submit() (coalescing client)' : 'one SubmitJob call per job';
  const lines = [
    `nucleus bench: ${int(r.load.jobs)} ${r.load.type} jobs, ${shape}, ${perCall}; ${where}${r.load.warmup > 0 ? `; after ${int(r.load.warmup)} warm-up jobs sent the same way (in no figure)` : ''}`,
    `submit      ${int(r.submit.acked)} acked in ${(r.submit.elapsedMs / 1000).toFixed(2)} s: ${int(r.submit.jobsPerSec)} jobs/s (${int(r.submit.callsPerSec)} calls/s); ack ${lat(r.submit.ackMs)}`,
  ];
  if (r.submit.errors > 0) lines.push(`            ${int(r.submit.errors)} calls failed (${int(r.submit.failedJobs)} jobs): ${r.submit.firstError}`);
  const c = r.completion;
  if (c) {
    lines.push(`completed   ${int(c.completed)} in ${(c.elapsedMs / 1000).toFixed(2)} s: ${int(c.jobsPerSec)} jobs/s; submit->completed ${lat(c.latencyMs)} (seen via ${r.load.observe})`);
    if (c.notCompleted > 0) lines.push(`            ${int(c.notCompleted)} jobs finished without completing (failed, dead letter or cancelled)`);
    if (c.unobserved > 0) lines.push(`            ${int(c.unobserved)} finished without their event reaching the bench (no latency sample)`);
    if (c.missing > 0) lines.push(`            ${int(c.missing)} acknowledged jobs were not seen finished`);
  }
  for (const op of ['status', 'result'] as const) {
    const o = r.reads[op];
    if (o.calls > 0) lines.push(`${op.padEnd(12)}${int(o.calls)} calls, ${int(o.errors)} errors; ${lat(o.latencyMs)}`);
  }
  const mem = [`bench ${int(r.memory.benchRssMiB)}`];
  if (r.memory.masterRssMiB !== null) mem.push(`master ${int(r.memory.masterRssMiB)}`);
  if (r.memory.workerRssMiB !== null) mem.push(`worker ${int(r.memory.workerRssMiB)}`);
  lines.push(`peak RSS    ${mem.join(', ')} MiB`);
  lines.push(`machine     ${r.machine.cpus} cores, Node ${r.machine.node}, nucleus ${r.nucleus}`);
  return lines.join('\n');
}
