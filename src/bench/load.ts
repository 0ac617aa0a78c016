/**
 * The load `nucleus bench` offers: submits (one job per call of the client's `submit()`, which
 * coalesces concurrent calls; or one job per SubmitJob call; or B jobs per SubmitJobs call), mixed with status and result reads, either closed loop (C calls in flight, each
 * caller issuing its next call when the previous one answers) or open loop (a steady R jobs/s,
 * calls issued on schedule whether or not earlier ones have answered, so a slow master cannot
 * lower the offered load).
 */
import type { MasterClient } from '../rpc/client.js';
import type { DeepPartial, JobSpec } from '../rpc/generated/nucleus/v1/jobs.js';
import { Samples } from './stats.js';

export type Operation = 'submit' | 'status' | 'result';

/** Relative weights of the operations, from `--mix submit:status:result`. */
export interface Mix {
  submit: number;
  status: number;
  result: number;
}

export interface LoadPlan {
  /** Jobs to submit in all. */
  jobs: number;
  /** Closed loop: calls in flight. Ignored when `rate` is set. */
  concurrency: number;
  /** Open loop: jobs per second; null for closed loop. */
  rate: number | null;
  /** Jobs per submit call; more than 1 uses SubmitJobs with that many jobs. */
  batch: number;
  /**
   * With batch 1: submit through the client's coalescing `submit()` (concurrent submits travel
   * as one batch on its SubmitStream, as a producer library does), or, when false, one SubmitJob
   * call each.
   */
  coalesce: boolean;
  spec: DeepPartial<JobSpec>;
  mix: Mix;
}

/** Counters and latencies of one kind of call. */
export interface CallStats {
  calls: number;
  errors: number;
  firstError: string | null;
  /** Per call, ms. */
  latency: Samples;
}

export interface LoadState {
  submit: CallStats & { acked: number; failedJobs: number };
  status: CallStats;
  result: CallStats;
  /** Monotonic ms of the first call and of the last submit answer. */
  startedAt: number;
  lastSubmitAt: number;
  inFlight: number;
  maxInFlight: number;
}

const newStats = (): CallStats => ({ calls: 0, errors: 0, firstError: null, latency: new Samples() });
const RECENT_IDS = 4096;

/**
 * Smooth weighted round robin: for weights 8:1:1 it yields s s s s st s s s s r..., spread out
 * rather than in runs, and the same sequence every time.
 */
export class OperationMixer {
  private readonly current: Record<Operation, number> = { submit: 0, status: 0, result: 0 };
  private readonly total: number;

  constructor(private readonly mix: Mix) {
    this.total = mix.submit + mix.status + mix.result;
  }

  next(): Operation {
    let best: Operation = 'submit';
    for (const op of ['submit', 'status', 'result'] as const) {
      this.current[op] += this.mix[op];
      if (this.current[op] > this.current[best]) best = op;
    }
    this.current[best] -= this.total;
    return best;
  }
}

export class LoadGenerator {
  readonly state: LoadState = {
    submit: { ...newStats(), acked: 0, failedJobs: 0 },
    status: newStats(),
    result: newStats(),
    startedAt: 0,
    lastSubmitAt: 0,
    inFlight: 0,
    maxInFlight: 0,
  };
  private readonly mixer: OperationMixer;
  private readonly recentIds: string[] = [];
  private issuedJobs = 0;

  constructor(
    private readonly client: MasterClient,
    private readonly plan: LoadPlan,
    /** Called for every acknowledged job with the monotonic time its submit call started. */
    private readonly onAck: (jobId: string, submittedAt: number) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.mixer = new OperationMixer(plan.mix);
  }

  /** Runs the whole plan; resolves when every call has answered. */
  async run(): Promise<LoadState> {
    this.state.startedAt = this.now();
    if (this.plan.rate === null) await this.closedLoop();
    else await this.openLoop(this.plan.rate);
    return this.state;
  }

  private async closedLoop(): Promise<void> {
    const caller = async () => {
      while (this.issuedJobs < this.plan.jobs) await this.issue(this.nextOperation());
    };
    await Promise.all(Array.from({ length: Math.max(1, this.plan.concurrency) }, caller));
  }

  private async openLoop(rate: number): Promise<void> {
    const msPerJob = 1000 / rate;
    const pending = new Set<Promise<void>>();
    const track = (p: Promise<void>) => {
      pending.add(p);
      void p.finally(() => pending.delete(p));
    };
    await new Promise<void>((resolve) => {
      const tick = () => {
        const due = Math.min(this.plan.jobs, Math.floor((this.now() - this.state.startedAt) / msPerJob) + 1);
        // A batch goes out when it is full (or when it is the last one), so B jobs share one call.
        while (due - this.issuedJobs >= this.plan.batch || (due === this.plan.jobs && this.issuedJobs < due)) {
          const op = this.nextOperation();
          track(this.issue(op));
        }
        if (this.issuedJobs >= this.plan.jobs) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    while (pending.size > 0) await Promise.all([...pending]);
  }

  private nextOperation(): Operation {
    return this.recentIds.length === 0 ? 'submit' : this.mixer.next();
  }

  private async issue(op: Operation): Promise<void> {
    this.state.inFlight++;
    if (this.state.inFlight > this.state.maxInFlight) this.state.maxInFlight = this.state.inFlight;
    try {
      if (op === 'submit') await this.submit();
      else await this.read(op);
    } finally {
      this.state.inFlight--;
    }
  }

  private async submit(): Promise<void> {
    const n = Math.min(this.plan.batch, this.plan.jobs - this.issuedJobs);
    this.issuedJobs += n;
    const stats = this.state.submit;
    stats.calls++;
    const started = this.now();
    try {
      let ids: string[];
      if (this.plan.batch === 1 && this.plan.coalesce) {
        ids = [(await this.client.submit(this.plan.spec)).jobId];
      } else if (this.plan.batch === 1) {
        ids = [(await this.client.call('submitJob', { job: this.plan.spec })).jobId];
      } else {
        const answers = await this.client.submitMany(new Array(n).fill(this.plan.spec));
        ids = answers.filter((a) => a.jobId).map((a) => a.jobId);
        const refused = answers.find((a) => !a.jobId);
        if (refused) {
          stats.errors++;
          stats.failedJobs += n - ids.length;
          stats.firstError ??= refused.error;
        }
      }
      const answered = this.now();
      stats.latency.push(answered - started);
      stats.acked += ids.length;
      this.state.lastSubmitAt = answered;
      for (const id of ids) {
        this.onAck(id, started);
        if (this.recentIds.length < RECENT_IDS) this.recentIds.push(id);
        else this.recentIds[(Math.random() * RECENT_IDS) | 0] = id;
      }
    } catch (error) {
      stats.errors++;
      stats.failedJobs += n;
      stats.firstError ??= (error as Error).message;
      this.state.lastSubmitAt = this.now();
    }
  }

  private async read(op: 'status' | 'result'): Promise<void> {
    const jobId = this.recentIds[(Math.random() * this.recentIds.length) | 0];
    const stats = this.state[op];
    stats.calls++;
    const started = this.now();
    try {
      if (op === 'status') await this.client.call('getJobStatus', { jobId });
      else await this.client.call('getJobResult', { jobId, wait: false });
      stats.latency.push(this.now() - started);
    } catch (error) {
      stats.errors++;
      stats.firstError ??= (error as Error).message;
    }
  }
}
