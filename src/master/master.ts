/**
 * The master: a guarded lifecycle around the scheduler, and the operations that clients call.
 * gRPC (rpc/) and REST (http/) both call these methods; neither has logic of its own.
 *
 * Lifecycle: starting -> running -> draining -> stopped (or failed). Requests are accepted only
 * while running; while draining every write answers UNAVAILABLE. Stopping flushes pending writes,
 * tells the workers, and leaves closing the store to the owner, last.
 */
import { ErrorCode, NucleusError, failedPrecondition, invalidArgument, notFound, toNucleusError } from '../errors.js';
import { isTerminal, type JobRecord, type JobStatus, type NewJob } from '../core/job.js';
import { canApply } from '../core/state-machine.js';
import { parseName, parseStatus, validateJobSpec, type JobSpecInput } from '../core/validation.js';
import { Scheduler, type WorkerSession } from './scheduler.js';
import type { Clock } from '../core/clock.js';
import type { ErrorGroup, InsertedJob, JobStore, ListFilter } from '../store/job-store.js';
import type { Logger } from '../log.js';
import type { JobChange } from './events.js';
import { TypeCoverage } from './type-coverage.js';

export type MasterState = 'starting' | 'running' | 'draining' | 'stopped' | 'failed';

/** Tunables of the master, fully resolved (durations in ms). */
export interface MasterSettings {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  timeoutGraceMs: number;
  defaultTimeoutMs: number;
  maxPayloadBytes: number;
  idempotencyWindowMs: number;
  /** Finished jobs older than this are pruned; 0 keeps them forever. */
  retentionMs: number;
}

export const DEFAULT_MASTER_SETTINGS: MasterSettings = {
  heartbeatIntervalMs: 3_000,
  heartbeatTimeoutMs: 10_000,
  timeoutGraceMs: 2_000,
  defaultTimeoutMs: 30_000,
  maxPayloadBytes: 1024 * 1024,
  idempotencyWindowMs: 86_400_000,
  retentionMs: 7 * 86_400_000,
};

export interface MasterOptions {
  store: JobStore;
  clock: Clock;
  logger: Logger;
  settings: MasterSettings;
  version: string;
  random?: () => number;
}

export interface ListRequest {
  statuses?: string[];
  queue?: string;
  type?: string;
  workerId?: string;
  /** The error text exactly. */
  error?: string;
  /** Error text containing this. */
  errorContains?: string;
  limit?: number;
  pageToken?: string;
  newestFirst?: boolean;
}

export interface QueueSummary {
  name: string;
  paused: boolean;
  counts: Record<JobStatus, number>;
  oldestQueuedAt: number | null;
}

export interface WorkerSummary {
  id: string;
  hostname: string;
  pid: number;
  alive: boolean;
  draining: boolean;
  concurrency: number;
  busy: number;
  lastHeartbeatAt: number;
  connectedAt: number;
  jobsDone: number;
  queues: string[];
  jobTypes: string[];
  runningJobIds: number[];
}

export interface Stats {
  version: string;
  startedAt: number;
  now: number;
  counts: Record<JobStatus, number>;
  queues: QueueSummary[];
  workers: WorkerSummary[];
  submittedTotal: number;
  finishedTotal: number;
  queueWaitP50Ms: number;
  queueWaitP95Ms: number;
}

const MAX_LIST_LIMIT = 1000;
/** Space past one largest payload that a submit needs: its row, index pages, the journal's frame headers. */
const READY_HEADROOM_BYTES = 64 * 1024;

const callerGone = (id: number) => new NucleusError(ErrorCode.DeadlineExceeded, `the caller went away while waiting for job ${id}`);
const RETRY_BATCH = 500;
const PRUNE_BATCH = 500;

export class Master {
  readonly scheduler: Scheduler;
  /** Which types the connected workers run: for submit warnings, `waiting` and /metrics. */
  readonly coverage: TypeCoverage;
  private stateValue: MasterState = 'starting';
  private startedAt = 0;
  private readonly waiters = new Map<number, Set<(job: JobRecord) => void>>();
  private retentionTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: MasterOptions) {
    this.scheduler = new Scheduler({
      store: options.store,
      clock: options.clock,
      logger: options.logger,
      heartbeatIntervalMs: options.settings.heartbeatIntervalMs,
      heartbeatTimeoutMs: options.settings.heartbeatTimeoutMs,
      timeoutGraceMs: options.settings.timeoutGraceMs,
      idempotencyWindowMs: options.settings.idempotencyWindowMs,
      maxResultBytes: options.settings.maxPayloadBytes,
      random: options.random,
    });
    this.coverage = new TypeCoverage(this.scheduler);
  }

  get state(): MasterState {
    return this.stateValue;
  }

  get settings(): MasterSettings {
    return this.options.settings;
  }

  get version(): string {
    return this.options.version;
  }

  private get store(): JobStore {
    return this.options.store;
  }

  start(): void {
    if (this.stateValue !== 'starting') throw new NucleusError(ErrorCode.FailedPrecondition, `cannot start a master that is ${this.stateValue}`);
    try {
      this.scheduler.start();
    } catch (error) {
      this.stateValue = 'failed';
      throw error;
    }
    this.scheduler.events.subscribe((change) => this.onChange(change));
    this.startedAt = this.options.clock.now();
    if (this.options.settings.retentionMs > 0) {
      this.retentionTimer = setInterval(() => this.prune(), Math.min(60_000, this.options.settings.retentionMs));
      this.retentionTimer.unref();
    }
    this.stateValue = 'running';
  }

  /** Stops accepting work and tells the workers; requests from now on answer UNAVAILABLE. */
  drain(): void {
    if (this.stateValue !== 'running') return;
    this.stateValue = 'draining';
    for (const session of this.scheduler.sessions.values()) session.link.send({ kind: 'drain', reason: 'master shutting down' });
  }

  /** Flushes pending writes and stops the scheduler. The owner closes the store afterwards. */
  stop(): void {
    if (this.stateValue === 'stopped') return;
    this.drain();
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.scheduler.stop();
    for (const [id, waiters] of this.waiters) {
      const job = this.store.getJob(id, true);
      if (job) for (const resolve of waiters) resolve(job);
    }
    this.waiters.clear();
    this.stateValue = 'stopped';
  }

  private assertAccepting(): void {
    if (this.stateValue === 'running') return;
    throw new NucleusError(
      ErrorCode.Unavailable,
      this.stateValue === 'starting' ? 'the master is starting; try again' : 'the master is shutting down; try again on another master or later',
    );
  }

  // ---------------------------------------------------------------- client operations

  async submit(specs: JobSpecInput[], field = 'jobs'): Promise<InsertedJob[]> {
    this.assertAccepting();
    if (specs.length === 0) throw invalidArgument(field, 'must contain at least one job');
    if (specs.length > 10_000) throw new NucleusError(ErrorCode.ResourceExhausted, `${field}: ${specs.length} jobs is over the limit of 10000 per call`);
    const now = this.options.clock.now();
    const limits = { maxPayloadBytes: this.options.settings.maxPayloadBytes, defaultTimeoutMs: this.options.settings.defaultTimeoutMs };
    const jobs = specs.map((spec, i) => validateJobSpec(spec, now, limits, specs.length === 1 && field === 'job' ? 'job' : `${field}[${i}]`));
    return this.scheduler.submit(jobs);
  }

  /**
   * Submits jobs judged one by one: a refused job gets its error in its place, the others are
   * committed together. For clients that coalesce unrelated submits into one call.
   */
  async submitEach(specs: JobSpecInput[]): Promise<Array<InsertedJob | NucleusError>> {
    this.assertAccepting();
    if (specs.length > 10_000) throw new NucleusError(ErrorCode.ResourceExhausted, `jobs: ${specs.length} jobs is over the limit of 10000 per call`);
    const now = this.options.clock.now();
    const limits = { maxPayloadBytes: this.options.settings.maxPayloadBytes, defaultTimeoutMs: this.options.settings.defaultTimeoutMs };
    const results: Array<InsertedJob | NucleusError> = new Array(specs.length);
    const valid: NewJob[] = [];
    const positions: number[] = [];
    specs.forEach((spec, i) => {
      try {
        valid.push(validateJobSpec(spec, now, limits, 'job'));
        positions.push(i);
      } catch (error) {
        results[i] = toNucleusError(error);
      }
    });
    if (valid.length > 0) {
      const inserted = await this.scheduler.submit(valid);
      inserted.forEach((job, k) => (results[positions[k]] = job));
    }
    return results;
  }

  getJob(id: number): JobRecord {
    const job = this.store.getJob(id, true);
    if (!job) throw notFound(`job ${id}`);
    return this.coverage.annotate(job);
  }

  /**
   * The job once it is finished, or as it is when `waitMs` runs out (finished = false). A waiter
   * holds only the job's id (the job is read again when it ends or the wait runs out, so a
   * thousand waits on a large job hold no payload), and goes as soon as `signal` aborts: a caller
   * that hung up takes its waiter with it (then this rejects).
   */
  async getResult(id: number, waitMs: number, signal?: AbortSignal): Promise<{ job: JobRecord; finished: boolean }> {
    const first = this.getJob(id);
    if (isTerminal(first.status) || waitMs <= 0) return { job: first, finished: isTerminal(first.status) };
    if (signal?.aborted) throw callerGone(id);
    return new Promise((resolve, reject) => {
      let waiters = this.waiters.get(id);
      if (!waiters) {
        waiters = new Set();
        this.waiters.set(id, waiters);
      }
      const set = waiters;
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abandoned);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
      };
      const done = (final: JobRecord) => {
        leave();
        resolve({ job: final, finished: isTerminal(final.status) });
      };
      const abandoned = () => {
        leave();
        reject(callerGone(id));
      };
      const timer = setTimeout(() => {
        leave();
        const now = this.store.getJob(id, true);
        if (now) resolve({ job: this.coverage.annotate(now), finished: isTerminal(now.status) });
        else reject(notFound(`job ${id}`));
      }, Math.min(waitMs, 2 ** 31 - 1));
      signal?.addEventListener('abort', abandoned, { once: true });
      set.add(done);
    });
  }

  /** Result waits in progress (GetJobResult / REST `?wait=`), for metrics and tests. */
  get resultWaiters(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  cancel(id: number): JobRecord {
    this.assertAccepting();
    for (let tries = 0; tries < 3; tries++) {
      const job = this.getJob(id);
      if (!canApply(job.status, 'cancel')) {
        throw failedPrecondition(`job ${id} is already ${job.status.replace('_', ' ')}; only queued, scheduled, retrying or running jobs can be cancelled`);
      }
      if (job.status === 'running') {
        this.scheduler.flush();
        if (this.scheduler.cancelRunning(id)) return this.getJob(id);
        continue;
      }
      const change = this.store.setStatus(id, job.status, 'cancelled', this.options.clock.now());
      if (change) {
        this.scheduler.applyStatusChange(change);
        return this.getJob(id);
      }
    }
    throw new NucleusError(ErrorCode.Unavailable, `job ${id} changed while being cancelled; try again`);
  }

  /**
   * Re-drives one job, or every job with `status` (failed, dead_letter, cancelled) in `queue`:
   * one transaction per batch, yielding between batches so that dispatch never stalls.
   */
  async retry(request: { id?: number; status?: string; queue?: string }): Promise<number[]> {
    this.assertAccepting();
    if (request.id !== undefined) {
      const job = this.getJob(request.id);
      if (!canApply(job.status, 'redrive')) {
        throw failedPrecondition(`job ${request.id} is ${job.status.replace('_', ' ')}; only failed, dead_letter or cancelled jobs can be retried`);
      }
      const change = this.store.setStatus(job.id, job.status, 'queued', this.options.clock.now());
      if (!change) throw new NucleusError(ErrorCode.Unavailable, `job ${request.id} changed while being retried; try again`);
      this.scheduler.applyStatusChange(change);
      return [job.id];
    }
    if (!request.status) throw invalidArgument('status', 'give a job id, or a status (failed, dead_letter or cancelled) to retry every job in it');
    const status = parseStatus(request.status);
    if (!canApply(status, 'redrive')) throw invalidArgument('status', `must be failed, dead_letter or cancelled (got "${status}")`);
    const queue = request.queue ? parseName(request.queue, 'queue') : undefined;
    const ids: number[] = [];
    let after = 0;
    for (;;) {
      const batch = this.store.idsWithStatus(status, queue, after, RETRY_BATCH);
      for (const change of this.store.setStatuses(batch, status, 'queued', this.options.clock.now())) {
        this.scheduler.applyStatusChange(change);
        ids.push(change.id);
      }
      if (batch.length < RETRY_BATCH) break;
      after = batch[batch.length - 1];
      await new Promise((resolve) => setImmediate(resolve));
      this.assertAccepting();
    }
    return ids;
  }

  list(request: ListRequest): { jobs: JobRecord[]; nextPageToken: string } {
    const limit = request.limit || 50;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw invalidArgument('limit', `must be an integer from 1 to ${MAX_LIST_LIMIT} (got ${limit})`);
    }
    const jobs = this.store.listJobs({ ...this.listFilter(request), limit });
    const nextPageToken = jobs.length === limit ? encodePageToken(jobs[jobs.length - 1].id) : '';
    return { jobs: jobs.map((job) => this.coverage.annotate(job)), nextPageToken };
  }

  /** How many jobs a listing's filter matches, counting no further than `cap`. */
  count(request: ListRequest, cap: number): number {
    const filter = this.listFilter(request);
    // By status and queue alone, the counts kept in memory answer at once (a scan of a million rows would not).
    if (!filter.type && !filter.workerId && !filter.error && !filter.errorContains) {
      const counts = filter.queue ? this.scheduler.counts.forQueue(filter.queue) : this.scheduler.counts.total();
      const statuses = filter.statuses?.length ? filter.statuses : (Object.keys(counts) as JobStatus[]);
      return Math.min(cap, statuses.reduce((n, s) => n + counts[s], 0));
    }
    return this.store.countJobs({ ...filter, limit: cap }, cap);
  }

  /** Jobs in `statuses` grouped by error text, largest groups first. */
  errorGroups(statuses: string[], queue: string | undefined, limit: number): ErrorGroup[] {
    const parsed = statuses.map((s, i) => parseStatus(s, `statuses[${i}]`));
    return this.store.errorGroups(parsed, queue ? parseName(queue, 'queue') : undefined, limit);
  }

  private listFilter(request: ListRequest): Omit<ListFilter, 'limit'> {
    const statuses = (request.statuses ?? []).map((s, i) => parseStatus(s, `statuses[${i}]`));
    return {
      statuses,
      queue: request.queue ? parseName(request.queue, 'queue') : undefined,
      type: request.type ? parseName(request.type, 'type') : undefined,
      workerId: request.workerId ? parseName(request.workerId, 'worker_id') : undefined,
      error: request.error || undefined,
      errorContains: request.errorContains || undefined,
      afterId: request.pageToken ? decodePageToken(request.pageToken) : undefined,
      newestFirst: request.newestFirst,
    };
  }

  pause(queue: string, paused: boolean): QueueSummary {
    this.assertAccepting();
    const name = parseName(queue, 'queue');
    this.scheduler.setPaused(name, paused);
    return this.queueSummary(name);
  }

  stats(): Stats {
    const now = this.options.clock.now();
    const queues = new Set([...this.scheduler.counts.queues(), ...this.scheduler.paused]);
    const waits = this.scheduler.queueWaitPercentiles();
    return {
      version: this.options.version,
      startedAt: this.startedAt,
      now,
      counts: this.scheduler.counts.total(),
      queues: [...queues].sort().map((q) => this.queueSummary(q)),
      workers: [...this.scheduler.sessions.values()].map(workerSummary),
      submittedTotal: this.scheduler.submittedTotal,
      finishedTotal: this.scheduler.finishedTotal,
      queueWaitP50Ms: waits.p50,
      queueWaitP95Ms: waits.p95,
    };
  }

  /** Subscribes to job changes (for WatchEvents); returns the unsubscribe function. */
  watch(listener: (change: JobChange) => void): () => void {
    return this.scheduler.events.subscribe(listener);
  }

  /**
   * Throws if a submit could not succeed now (for /readyz): the master is not running, or its
   * store is read-only, failing, or has no room for a job of the largest payload (and the
   * headroom its row and journal take).
   */
  checkReady(): void {
    this.assertAccepting();
    this.store.checkWritable(this.options.settings.maxPayloadBytes + READY_HEADROOM_BYTES);
  }

  private queueSummary(name: string): QueueSummary {
    const oldestId = this.scheduler.runnable.oldestId(name);
    return {
      name,
      paused: this.scheduler.paused.has(name),
      counts: this.scheduler.counts.forQueue(name),
      oldestQueuedAt: oldestId === null ? null : this.store.createdAt(oldestId),
    };
  }

  private onChange(change: JobChange): void {
    if (!isTerminal(change.status)) return;
    const waiters = this.waiters.get(change.id);
    if (!waiters) return;
    this.waiters.delete(change.id);
    const job = this.store.getJob(change.id, true);
    if (job) for (const resolve of waiters) resolve(job);
  }

  /** Deletes finished jobs past retention, a small batch per turn so dispatch never stalls. */
  private prune(): void {
    // Retention 0 means "keep forever", not "everything finished is past retention".
    if (this.options.settings.retentionMs <= 0) return;
    const before = this.options.clock.now() - this.options.settings.retentionMs;
    const step = () => {
      if (this.stateValue !== 'running') return;
      try {
        const removed = this.store.prune(before, PRUNE_BATCH);
        for (const r of removed) this.scheduler.counts.add(r.queue, r.status, -r.count);
        if (removed.length === PRUNE_BATCH) setImmediate(step);
        else if (removed.length > 0) this.options.logger.info({ pruned: removed.length }, 'pruned finished jobs past retention');
      } catch (error) {
        this.options.logger.warn({ err: error }, 'pruning failed; will try again');
      }
    };
    step();
  }

  /** Runs retention now (for tests with a fake clock). */
  pruneNow(): void {
    this.prune();
  }
}

function workerSummary(session: WorkerSession): WorkerSummary {
  return {
    id: session.id,
    hostname: session.hello.hostname,
    pid: session.hello.pid,
    alive: session.alive,
    draining: session.draining,
    concurrency: session.hello.concurrency,
    busy: session.held.size,
    lastHeartbeatAt: session.lastSeen,
    connectedAt: session.connectedAt,
    jobsDone: session.jobsDone,
    queues: session.hello.queues,
    jobTypes: session.hello.jobTypes,
    runningJobIds: [...session.held.keys()],
  };
}

function encodePageToken(lastId: number): string {
  return Buffer.from(`after:${lastId}`).toString('base64url');
}

function decodePageToken(token: string): number {
  const text = Buffer.from(token, 'base64url').toString();
  const match = /^after:(\d{1,16})$/.exec(text);
  if (!match) throw invalidArgument('page_token', 'is not a token from a previous page (pass the next_page_token you were given)');
  return Number(match[1]);
}
