/**
 * The data behind `nucleus top`: polls GetStats (about once a second), fetches one page of the
 * jobs tab and the open job's detail, and follows the WatchEvents stream; publishes a fresh
 * ClusterData to its listeners at most once per `flushEveryMs`, however fast jobs move.
 *
 * What it guarantees:
 * - Bounded work per second whatever the load: one stats call per `statsEveryMs`, at most one jobs
 *   page (JOBS_PAGE_LIMIT rows) per `jobsMinGapMs`, event batches only counted, and screen updates
 *   coalesced to at most one per `flushEveryMs` (10 a second by default).
 * - Never more than one call of each kind in flight, so a slow master is not piled on.
 * - When the master stops answering, the data says so (connection `lost`, with the error and since
 *   when) and keeps the last figures; polling and the stream keep trying and the data turns
 *   `connected` again by itself when the master is back.
 * - Answers to a query that was replaced meanwhile are dropped, so a tab switch never shows the
 *   previous tab's jobs.
 */
import { WatchEventsRequest, type JobEvents } from '../rpc/generated/nucleus/v1/jobs.js';
import { statusToProto } from '../rpc/convert.js';
import { toNucleusError } from '../errors.js';
import type { MasterClient } from '../rpc/client.js';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { QueueRates, ThroughputMeter, jobDetailFromProto, jobRowFromProto, queuesFromProto, workersFromProto } from './cluster-model.js';
import { emptyClusterData, JOBS_PAGE_LIMIT, type ClusterData, type ClusterOperations, type ClusterQuery } from './model.js';

/** Timings of the feed; the defaults suit a person watching. */
export interface FeedOptions {
  /** Between two GetStats calls. Default 1000 ms. */
  statsEveryMs?: number;
  /** Between two jobs-page refreshes when nothing happens. Default 2000 ms. */
  jobsEveryMs?: number;
  /** Shortest gap between two jobs-page refreshes prompted by events. Default 500 ms. */
  jobsMinGapMs?: number;
  /** Shortest gap between two published updates: the redraw limit. Default 100 ms. */
  flushEveryMs?: number;
  /** Deadline of each call. Default 3000 ms. */
  callTimeoutMs?: number;
  /** Wait before reopening a broken event stream. Default 1000 ms. */
  reconnectEveryMs?: number;
  /** Local clock, for "lost since". Default Date.now. */
  now?: () => number;
}

export type FeedClient = Pick<MasterClient, 'call' | 'raw'>;
type Listener = (data: ClusterData) => void;

export const initialQuery = (): ClusterQuery => ({ status: 'queued', queue: null, type: null, workerId: null, detailJobId: null });

const sameJobs = (a: ClusterQuery, b: ClusterQuery): boolean => a.status === b.status && a.queue === b.queue && a.type === b.type && a.workerId === b.workerId;

export class ClusterFeed implements ClusterOperations {
  private data: ClusterData;
  private query: ClusterQuery;
  private readonly options: Required<FeedOptions>;
  private readonly listeners = new Set<Listener>();
  private readonly meter = new ThroughputMeter();
  private readonly rates = new QueueRates();
  private running = false;
  private stream: ClientReadableStream<JobEvents> | null = null;
  private statsTimer: NodeJS.Timeout | null = null;
  private statsInFlight = false;
  private jobsTimer: NodeJS.Timeout | null = null;
  private jobsDueAt = Infinity;
  private jobsInFlight = false;
  private jobsAgain = false;
  private lastJobsAt = 0;
  private generation = 0;
  private streamTimer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private lastFlushAt = 0;
  /** Ids on the current page, to tell which events concern it. */
  private pageIds = new Set<string>();

  constructor(
    private readonly client: FeedClient,
    address: string,
    options: FeedOptions = {},
    query: ClusterQuery = initialQuery(),
  ) {
    this.options = {
      statsEveryMs: options.statsEveryMs ?? 1000,
      jobsEveryMs: options.jobsEveryMs ?? 2000,
      jobsMinGapMs: options.jobsMinGapMs ?? 500,
      flushEveryMs: options.flushEveryMs ?? 100,
      callTimeoutMs: options.callTimeoutMs ?? 3000,
      reconnectEveryMs: options.reconnectEveryMs ?? 1000,
      now: options.now ?? Date.now,
    };
    this.query = query;
    this.data = emptyClusterData(address, query.status);
    if (query.detailJobId) this.data.detail = { jobId: query.detailJobId, job: null, error: null };
  }

  get current(): ClusterData {
    return this.data;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.pollStats();
    this.scheduleJobs(0);
    this.openStream();
  }

  stop(): void {
    this.running = false;
    for (const timer of [this.statsTimer, this.jobsTimer, this.streamTimer, this.flushTimer]) if (timer) clearTimeout(timer);
    this.statsTimer = this.jobsTimer = this.streamTimer = this.flushTimer = null;
    const stream = this.stream;
    this.stream = null;
    stream?.cancel();
    this.listeners.clear();
  }

  /** What the screen shows now; a new jobs query drops the old page at once. */
  setQuery(query: ClusterQuery): void {
    const previous = this.query;
    this.query = query;
    if (!sameJobs(previous, query)) {
      this.generation++;
      this.pageIds = new Set();
      this.update({ jobs: { status: query.status, rows: [], more: false, loaded: false, error: null } });
      this.scheduleJobs(0);
    }
    if (previous.detailJobId !== query.detailJobId) {
      this.update({ detail: query.detailJobId ? { jobId: query.detailJobId, job: null, error: null } : null });
      this.scheduleJobs(0);
    }
  }

  async cancel(jobId: string): Promise<string> {
    const { job } = await this.act(() => this.client.call('cancelJob', { jobId }, this.options.callTimeoutMs));
    const status = job ? jobRowFromProto(job).status : 'cancelled';
    return status === 'cancelled' ? `job ${jobId} cancelled` : `job ${jobId}: cancel sent to its worker (now ${status})`;
  }

  async retry(jobId: string): Promise<string> {
    await this.act(() => this.client.call('retryJob', { jobId }, this.options.callTimeoutMs));
    return `job ${jobId} queued again`;
  }

  async pause(queue: string, paused: boolean): Promise<string> {
    await this.act(() => this.client.call('pauseQueue', { queue, paused }, this.options.callTimeoutMs));
    return `queue ${queue} ${paused ? 'paused' : 'resumed'}`;
  }

  /** Runs an operation, turns its failure into a readable Error, and refreshes what it changed. */
  private async act<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new Error(toNucleusError(error).message);
    } finally {
      if (this.running) {
        void this.pollStats(false);
        this.scheduleJobs(0);
      }
    }
  }

  private update(patch: Partial<ClusterData>): void {
    this.data = { ...this.data, ...patch };
    if (!this.running || this.flushTimer) return;
    const wait = Math.max(0, this.lastFlushAt + this.options.flushEveryMs - this.options.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.lastFlushAt = this.options.now();
      for (const listener of this.listeners) listener(this.data);
    }, wait);
  }

  private async pollStats(reschedule = true): Promise<void> {
    if (!this.running) return;
    if (this.statsInFlight) {
      // A refresh after an action is in flight: keep the periodic loop alive behind it.
      if (reschedule) this.statsTimer = setTimeout(() => void this.pollStats(), this.options.statsEveryMs);
      return;
    }
    this.statsInFlight = true;
    try {
      const stats = await this.client.call('getStats', {}, this.options.callTimeoutMs);
      this.meter.record(stats);
      if (!this.running) return;
      const wasLost = this.data.connection.state === 'lost';
      this.update({
        connection: { state: 'connected' },
        overview: this.meter.overview(stats, this.options.now()),
        queues: queuesFromProto(stats, this.data.streaming ? this.rates : null),
        workers: workersFromProto(stats),
      });
      if (wasLost) {
        // Back after an outage: the page and the stream are stale or closed; refresh both now.
        this.scheduleJobs(0);
        if (!this.stream) this.openStream();
      }
    } catch (error) {
      if (!this.running) return;
      const previous = this.data.connection;
      const message = toNucleusError(error).message;
      this.update({
        connection: previous.state === 'lost'
          ? { ...previous, error: message, attempts: previous.attempts + 1 }
          : { state: 'lost', sinceMs: this.options.now(), error: message, attempts: 1 },
      });
    } finally {
      this.statsInFlight = false;
      if (this.running && reschedule) {
        this.statsTimer = setTimeout(() => void this.pollStats(), this.options.statsEveryMs);
      }
    }
  }

  /** Refresh the jobs page (and detail) in `delayMs`, unless a refresh is already due sooner. */
  private scheduleJobs(delayMs: number): void {
    if (!this.running) return;
    const due = this.options.now() + delayMs;
    if (this.jobsTimer && this.jobsDueAt <= due) return;
    if (this.jobsTimer) clearTimeout(this.jobsTimer);
    this.jobsDueAt = due;
    this.jobsTimer = setTimeout(() => {
      this.jobsTimer = null;
      this.jobsDueAt = Infinity;
      void this.pollJobs();
    }, delayMs);
  }

  private async pollJobs(): Promise<void> {
    if (!this.running) return;
    if (this.jobsInFlight) {
      this.jobsAgain = true;
      return;
    }
    this.jobsInFlight = true;
    const query = this.query;
    const generation = this.generation;
    try {
      await Promise.all([this.loadPage(query, generation), this.loadDetail(query)]);
    } finally {
      this.jobsInFlight = false;
      this.lastJobsAt = this.options.now();
      if (this.jobsAgain) {
        this.jobsAgain = false;
        this.scheduleJobs(this.options.jobsMinGapMs);
      } else {
        this.scheduleJobs(this.options.jobsEveryMs);
      }
    }
  }

  private async loadPage(query: ClusterQuery, generation: number): Promise<void> {
    try {
      const page = await this.client.call(
        'listJobs',
        {
          statuses: [statusToProto(query.status)],
          queue: query.queue ?? '',
          type: query.type ?? '',
          workerId: query.workerId ?? '',
          limit: JOBS_PAGE_LIMIT,
          // Waiting jobs oldest first (next in line at the top); everything else newest first.
          newestFirst: query.status !== 'queued' && query.status !== 'scheduled',
        },
        this.options.callTimeoutMs,
      );
      if (!this.running || generation !== this.generation) return;
      const rows = page.jobs.map(jobRowFromProto);
      this.pageIds = new Set(rows.map((r) => r.id));
      this.update({ jobs: { status: query.status, rows, more: page.nextPageToken !== '', loaded: true, error: null } });
    } catch (error) {
      if (!this.running || generation !== this.generation) return;
      this.update({ jobs: { ...this.data.jobs, loaded: true, error: toNucleusError(error).message } });
    }
  }

  private async loadDetail(query: ClusterQuery): Promise<void> {
    const jobId = query.detailJobId;
    if (!jobId) return;
    try {
      const { job } = await this.client.call('getJobStatus', { jobId }, this.options.callTimeoutMs);
      if (!this.running || this.query.detailJobId !== jobId || !job) return;
      this.update({ detail: { jobId, job: jobDetailFromProto(job), error: null } });
    } catch (error) {
      if (!this.running || this.query.detailJobId !== jobId) return;
      this.update({ detail: { jobId, job: this.data.detail?.job ?? null, error: toNucleusError(error).message } });
    }
  }

  private openStream(): void {
    if (!this.running || this.stream) return;
    const stream = this.client.raw.watchEvents(WatchEventsRequest.fromPartial({}));
    this.stream = stream;
    this.update({ streaming: true });
    stream.on('data', (batch: JobEvents) => this.onEvents(batch));
    const broken = () => {
      if (this.stream !== stream) return;
      this.stream = null;
      if (!this.running) return;
      this.update({ streaming: false });
      this.streamTimer = setTimeout(() => {
        this.streamTimer = null;
        this.openStream();
      }, this.options.reconnectEveryMs);
    };
    stream.on('error', broken);
    stream.on('end', broken);
  }

  private onEvents(batch: JobEvents): void {
    if (!this.running) return;
    this.rates.record(batch.events);
    const status = statusToProto(this.query.status);
    const detailId = this.query.detailJobId;
    const relevant = batch.events.some((e) => e.status === status || this.pageIds.has(e.jobId) || e.jobId === detailId);
    if (!relevant) return;
    const sinceLast = this.options.now() - this.lastJobsAt;
    this.scheduleJobs(Math.max(0, this.options.jobsMinGapMs - sinceLast));
  }
}
