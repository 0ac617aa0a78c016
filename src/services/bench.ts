/**
 * `nucleus bench`: offers a load to a master (a running one, or one it starts in temporary
 * storage), watches the jobs finish, and reports throughput and latency percentiles.
 */
import { cpus } from 'node:os';
import { MasterClient, type ClientSecurityOptions } from '../rpc/client.js';
import { failedPrecondition, invalidArgument } from '../errors.js';
import { VERSION } from '../version.js';
import { CompletionTracker, type ObserveMode } from '../bench/completions.js';
import { LoadGenerator, type Mix } from '../bench/load.js';
import { ProgressLine } from '../bench/progress.js';
import { perSecond, summarize } from '../bench/stats.js';
import { rssMiB, startDeployment, type Deployment, type DeploymentKind, type SyncMode } from '../bench/deployment.js';
import type { BenchReport } from '../bench/report.js';

export const BENCH_TYPES = ['noop', 'sleep', 'fibonacci'] as const;
/** SubmitJobs takes at most this many jobs per call. */
export const MAX_BATCH = 10_000;

export interface BenchOptions {
  /** Address of a running master; ignored when `spawn` is set. */
  master: string;
  /** Token and TLS files for that master. */
  security?: ClientSecurityOptions;
  /** Start a cluster for the run instead of using `master`. */
  spawn: { kind: DeploymentKind; workers: number; workerConcurrency: number; sync: SyncMode } | null;
  jobs: number;
  /**
   * Jobs sent first, the same way as the measured ones, and waited for; they are in no figure, so
   * that the master, the workers and this process have run that many before the clock starts.
   */
  warmup: number;
  /** Closed loop: calls in flight. */
  concurrency: number;
  /** Open loop: jobs per second; null for closed loop. */
  rate: number | null;
  batch: number;
  /** With batch 1: use the client's coalescing submit() (true) or one SubmitJob call per job. */
  coalesce: boolean;
  type: string;
  /** For `sleep`: how long each job sleeps, ms. */
  durationMs: number;
  /** Overrides the payload built from type and duration (JSON text). */
  payload?: string;
  mix: Mix;
  queue: string;
  /** How completions are seen; `none` submits only and does not wait. */
  observe: ObserveMode | 'none';
  /** Stop waiting for completions after this long without one, ms. */
  stallMs: number;
  /** Deadline of each call, ms. */
  rpcTimeoutMs: number;
  /** Draw a live progress line on stderr when it is a terminal. */
  progress: boolean;
}

/** Parses `--mix submit:status:result`, e.g. `8:1:1`. */
export function parseMix(text: string): Mix {
  const parts = text.split(':');
  const nums = parts.map((p) => Number(p));
  if (parts.length < 1 || parts.length > 3 || nums.some((n) => !Number.isInteger(n) || n < 0 || n > 1000)) {
    throw invalidArgument('--mix', `must be submit[:status[:result]] weights, integers from 0 to 1000 (got "${text}")`);
  }
  const [submit, status = 0, result = 0] = nums;
  if (submit < 1) throw invalidArgument('--mix', `the submit weight must be at least 1 (got "${text}")`);
  return { submit, status, result };
}

/** The payload of each bench job. */
export function payloadFor(options: Pick<BenchOptions, 'type' | 'durationMs' | 'payload'>): Buffer {
  if (options.payload !== undefined) {
    try {
      return Buffer.from(JSON.stringify(JSON.parse(options.payload)));
    } catch {
      throw invalidArgument('--payload', `must be JSON (got "${options.payload.slice(0, 60)}")`);
    }
  }
  switch (options.type) {
    case 'sleep':
      return Buffer.from(JSON.stringify({ duration: options.durationMs / 1000 }));
    case 'fibonacci':
      return Buffer.from(JSON.stringify({ n: 1000 }));
    default:
      return Buffer.from('{"bench":1}');
  }
}

export function validateBenchOptions(o: BenchOptions): void {
  const int = (value: number, flag: string, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) throw invalidArgument(flag, `must be an integer from ${min} to ${max} (got ${value})`);
  };
  int(o.jobs, '--jobs', 1, 100_000_000);
  int(o.warmup, '--warmup', 0, 100_000_000);
  int(o.concurrency, '--concurrency', 1, 10_000);
  int(o.batch, '--batch', 1, MAX_BATCH);
  if (o.rate !== null && !(o.rate > 0 && o.rate <= 10_000_000)) throw invalidArgument('--rate', `must be a number of jobs per second from 1 to 10000000 (got ${o.rate})`);
  if (!(o.durationMs >= 0 && o.durationMs <= 86_400_000)) throw invalidArgument('--duration-ms', `must be from 0 to 86400000 (got ${o.durationMs})`);
  if (o.spawn) {
    int(o.spawn.workers, '--workers', 1, 64);
    int(o.spawn.workerConcurrency, '--worker-concurrency', 1, 1024);
  }
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  validateBenchOptions(options);
  const payload = payloadFor(options);
  const deployment: Deployment | null = options.spawn
    ? await startDeployment({ ...options.spawn, queue: options.queue })
    : null;
  const address = deployment?.address ?? options.master;
  const client = new MasterClient({ address, timeoutMs: options.rpcTimeoutMs, ...(deployment ? {} : options.security) });
  const memory = new MemoryPeaks(deployment);
  const tracker = options.observe === 'none' ? null : new CompletionTracker(client, options.queue, options.observe);
  const plan = (jobs: number) => ({
    jobs,
    concurrency: options.concurrency,
    rate: options.rate,
    batch: options.batch,
    coalesce: options.coalesce,
    spec: { type: options.type, payload, contentType: 'application/json', queue: options.queue },
    mix: options.mix,
  });
  const startedAt = new Date().toISOString();
  try {
    if (options.warmup > 0) await warmUpRun(client, options, plan(options.warmup));
    await tracker?.start();
    const load = new LoadGenerator(client, plan(options.jobs), (jobId, submittedAt) => tracker?.expect(jobId, submittedAt));
    const progress = new ProgressLine(() => ({
      submitted: load.state.submit.acked,
      completed: tracker?.counts.finished ?? 0,
      total: options.jobs,
      elapsedMs: load.state.startedAt ? performance.now() - load.state.startedAt : 0,
      ackP50Ms: recentMedian(load.state.submit.latency.values()),
    }));
    if (options.progress) progress.start();
    memory.start();
    let state;
    try {
      state = await load.run();
      if (tracker) await tracker.waitAll(options.stallMs);
      if (tracker?.error) throw tracker.error;
    } finally {
      progress.stop();
      memory.stop();
    }
    const submitElapsed = state.lastSubmitAt - state.startedAt;
    const s = state.submit;
    const report: BenchReport = {
      nucleus: VERSION,
      startedAt,
      machine: { cpus: cpus().length, node: process.version, platform: process.platform, arch: process.arch },
      target: deployment
        ? { deployment: deployment.kind, master: address, workers: options.spawn!.workers, workerConcurrency: options.spawn!.workerConcurrency, sync: options.spawn!.sync }
        : { deployment: 'external', master: address },
      load: {
        jobs: options.jobs,
        warmup: options.warmup,
        loop: options.rate === null ? 'closed' : 'open',
        concurrency: options.rate === null ? options.concurrency : null,
        rate: options.rate,
        batch: options.batch,
        coalesce: options.batch === 1 && options.coalesce,
        type: options.type,
        payloadBytes: payload.length,
        queue: options.queue,
        mix: options.mix,
        observe: options.observe,
      },
      submit: {
        acked: s.acked,
        failedJobs: s.failedJobs,
        calls: s.calls,
        errors: s.errors,
        firstError: s.firstError,
        elapsedMs: submitElapsed,
        jobsPerSec: perSecond(s.acked, submitElapsed),
        callsPerSec: perSecond(s.calls, submitElapsed),
        maxInFlight: state.maxInFlight,
        ackMs: s.latency.summary(),
      },
      completion: tracker
        ? {
            finished: tracker.counts.finished,
            completed: tracker.counts.finished - tracker.counts.notCompleted,
            notCompleted: tracker.counts.notCompleted,
            unobserved: tracker.counts.unobserved,
            missing: tracker.outstanding,
            elapsedMs: Math.max(0, tracker.lastFinishAt - state.startedAt),
            jobsPerSec: perSecond(tracker.counts.finished, tracker.lastFinishAt - state.startedAt),
            latencyMs: tracker.latency.summary(),
          }
        : null,
      reads: {
        status: { calls: state.status.calls, errors: state.status.errors, latencyMs: state.status.latency.summary() },
        result: { calls: state.result.calls, errors: state.result.errors, latencyMs: state.result.latency.summary() },
      },
      memory: memory.peaks(),
    };
    return report;
  } finally {
    tracker?.stop();
    client.close();
    await deployment?.stop();
  }
}

/**
 * The warm-up of `--warmup`: the same load, `plan.jobs` of it, then (unless the bench only submits)
 * a wait until those jobs are seen finished, so that they do not share the measured window.
 */
async function warmUpRun(client: MasterClient, options: BenchOptions, plan: ConstructorParameters<typeof LoadGenerator>[1]): Promise<void> {
  const tracker = options.observe === 'none' ? null : new CompletionTracker(client, options.queue, options.observe);
  try {
    await tracker?.start();
    const state = await new LoadGenerator(client, plan, (jobId, submittedAt) => tracker?.expect(jobId, submittedAt)).run();
    if (state.submit.errors > 0) throw failedPrecondition(`--warmup: ${state.submit.errors} of the warm-up's submit calls failed, so nothing was measured: ${state.submit.firstError}`);
    if (tracker) await tracker.waitAll(options.stallMs);
    if (tracker?.error) throw tracker.error;
  } finally {
    tracker?.stop();
  }
}

/** Median of the last 1,000 ack latencies, for the progress line. */
function recentMedian(values: Float64Array): number {
  if (values.length === 0) return Number.NaN;
  return summarize(values.subarray(Math.max(0, values.length - 1000))).p50;
}

/** Samples the RSS of the bench, the master and the workers every 200 ms and keeps the peaks. */
class MemoryPeaks {
  private timer: NodeJS.Timeout | null = null;
  private bench = 0;
  private master = 0;
  private worker = 0;

  constructor(private readonly deployment: Deployment | null) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 200);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sample();
  }

  private sample(): void {
    this.bench = Math.max(this.bench, rssMiB(process.pid));
    if (this.deployment?.kind === 'procs') {
      this.master = Math.max(this.master, rssMiB(this.deployment.masterPid) || 0);
      for (const pid of this.deployment.workerPids) this.worker = Math.max(this.worker, rssMiB(pid) || 0);
    }
  }

  peaks(): BenchReport['memory'] {
    const procs = this.deployment?.kind === 'procs';
    return { benchRssMiB: this.bench, masterRssMiB: procs ? this.master : null, workerRssMiB: procs ? this.worker : null };
  }
}
