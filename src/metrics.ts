/**
 * The master's Prometheus metrics, in a registry of its own (never prom-client's global one), so
 * that several masters can live in one process and each one's /metrics shows only itself.
 *
 * What it guarantees:
 * - Counters move from the master's event bus, one cheap step per job change: the series of a
 *   (queue, type) pair are bound once and kept in a map (metric-families.ts), so the hot path does
 *   two map lookups and a few additions, never a label hash or an allocation.
 * - Gauges (queue depth, workers, slots) are read from the scheduler's in-memory state when
 *   Prometheus scrapes; nothing is counted in the store.
 * - Cardinality is bounded: labels are queue, job type and status, never a job id, and after
 *   MAX_SERIES distinct (queue, type) pairs new pairs are counted under queue="_other",
 *   type="_other".
 */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { CounterFamily, HistogramFamily, type CounterChild, type HistogramChild } from './metric-families.js';
import { ALL_STATUSES } from './core/job.js';
import type { JobChange } from './master/events.js';
import type { Master } from './master/master.js';

/** Distinct (queue, type) pairs with series of their own; later pairs share "_other". */
export const MAX_SERIES = 500;
export const OTHER_LABEL = '_other';

/** Seconds; from a fast in-memory job to a long batch job. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];
/** Seconds; dispatch is sub-millisecond when workers are free, minutes when the queue backs up. */
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600];

type FinalStatus = 'completed' | 'failed' | 'dead_letter' | 'cancelled';
const FINAL_STATUSES: readonly FinalStatus[] = ['completed', 'failed', 'dead_letter', 'cancelled'];

const MASTER_STATES = ['starting', 'running', 'draining', 'stopped', 'failed'] as const;

/** The bound children of one (queue, type) pair. */
interface Series {
  queue: string;
  type: string;
  submitted: CounterChild;
  finished: Record<FinalStatus, CounterChild>;
  retries: CounterChild;
  deadLetters: CounterChild;
  attemptDuration: HistogramChild;
  queueWait: HistogramChild;
}

export interface MasterMetricsOptions {
  /** Also export prom-client's default process metrics (CPU, memory, event loop, GC). Default true. */
  processMetrics?: boolean;
}

/**
 * prom-client's default process metrics, less the three gauges whose names end in `_total`
 * (nodejs_active_{handles,requests,resources}_total), which `promtool check metrics` rejects:
 * only counters may end in _total. The same numbers remain, by type, in nodejs_active_handles,
 * nodejs_active_requests and nodejs_active_resources.
 */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
}

export class MasterMetrics {
  readonly registry = new Registry();
  private readonly submitted: CounterFamily;
  private readonly finished: CounterFamily;
  private readonly retries: CounterFamily;
  private readonly deadLetters: CounterFamily;
  private readonly heartbeatTimeouts: CounterChild;
  private readonly attemptDuration: HistogramFamily;
  private readonly queueWait: HistogramFamily;
  /** queue -> type -> series; nested so that a lookup never builds a key string. */
  private readonly series = new Map<string, Map<string, Series>>();
  private seriesCount = 0;
  private readonly unsubscribe: () => void;
  private readonly previousOnWorkerDead: Master['scheduler']['onWorkerDead'];

  constructor(
    private readonly master: Master,
    options: MasterMetricsOptions = {},
  ) {
    const registers = [this.registry];
    const r = this.registry;
    this.submitted = new CounterFamily('nucleus_jobs_submitted_total', 'Jobs accepted (idempotent duplicates excluded).', ['queue', 'type'], r);
    this.finished = new CounterFamily(
      'nucleus_jobs_finished_total',
      'Jobs that reached a final status (completed, failed, dead_letter, cancelled); a re-driven job counts again when it finishes again.',
      ['queue', 'type', 'status'],
      r,
    );
    this.retries = new CounterFamily(
      'nucleus_job_retries_total',
      'Failed attempts that will be retried: errors and timeouts with retries left (to retrying) and lost workers (back to queued).',
      ['queue', 'type'],
      r,
    );
    this.deadLetters = new CounterFamily('nucleus_jobs_dead_letter_total', 'Jobs moved to dead_letter, out of retries.', ['queue', 'type'], r);
    this.heartbeatTimeouts = new CounterFamily('nucleus_worker_heartbeat_timeouts_total', 'Workers declared dead because their heartbeats stopped.', [], r).child();
    this.attemptDuration = new HistogramFamily(
      'nucleus_job_attempt_duration_seconds',
      'How long attempts ran, from dispatch to the recorded end, whatever the outcome.',
      ['queue', 'type'],
      DURATION_BUCKETS,
      r,
    );
    this.queueWait = new HistogramFamily('nucleus_job_queue_wait_seconds', 'How long jobs waited between becoming runnable and being dispatched.', ['queue', 'type'], WAIT_BUCKETS, r);

    const scheduler = master.scheduler;
    new Gauge({
      name: 'nucleus_queue_depth',
      help: 'Jobs in the store by queue and status.',
      labelNames: ['queue', 'status'],
      registers,
      collect() {
        this.reset();
        for (const queue of scheduler.counts.queues()) {
          const counts = scheduler.counts.forQueue(queue);
          for (const status of ALL_STATUSES) this.set({ queue, status }, counts[status]);
        }
      },
    });
    new Gauge({
      name: 'nucleus_queue_paused',
      help: '1 when the queue is paused (no dispatch), else 0.',
      labelNames: ['queue'],
      registers,
      collect() {
        this.reset();
        for (const queue of new Set([...scheduler.counts.queues(), ...scheduler.paused])) this.set({ queue }, scheduler.paused.has(queue) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'nucleus_jobs_unhandled',
      help: 'Queued jobs of a type that no connected worker handles (they wait until one connects), by type.',
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        for (const [type, n] of master.coverage.unhandledQueued()) this.set({ type }, n);
      },
    });
    new Gauge({
      name: 'nucleus_workers_connected',
      help: 'Workers connected and alive.',
      registers,
      collect() {
        let alive = 0;
        for (const session of scheduler.sessions.values()) if (session.alive) alive++;
        this.set(alive);
      },
    });
    new Gauge({
      name: 'nucleus_worker_slots',
      help: 'Slots of the connected workers: busy (running an attempt) or free (ready for one; a draining worker has none).',
      labelNames: ['state'],
      registers,
      collect() {
        let busy = 0;
        let free = 0;
        for (const session of scheduler.sessions.values()) {
          busy += session.held.size;
          free += Math.max(0, session.free);
        }
        this.set({ state: 'busy' }, busy);
        this.set({ state: 'free' }, free);
      },
    });
    new Gauge({
      name: 'nucleus_result_waiters',
      help: 'Result waits in progress (GetJobResult with wait, REST ?wait=); each ends when its caller hangs up.',
      registers,
      collect() {
        this.set(master.resultWaiters);
      },
    });
    new Gauge({
      name: 'nucleus_master_state',
      help: 'The master lifecycle state: 1 for the current one.',
      labelNames: ['state'],
      registers,
      collect() {
        for (const state of MASTER_STATES) this.set({ state }, master.state === state ? 1 : 0);
      },
    });
    const info = new Gauge({ name: 'nucleus_build_info', help: 'Always 1; the version is a label.', labelNames: ['version'], registers });
    info.set({ version: master.version }, 1);

    if (options.processMetrics ?? true) collectProcessMetrics(this.registry);

    this.unsubscribe = master.watch((change) => this.record(change));
    this.previousOnWorkerDead = scheduler.onWorkerDead;
    scheduler.onWorkerDead = (session) => {
      this.heartbeatTimeouts.inc();
      this.previousOnWorkerDead?.(session);
    };
  }

  /** The text exposition format, for GET /metrics. */
  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Stops listening to the master. */
  close(): void {
    this.unsubscribe();
    this.master.scheduler.onWorkerDead = this.previousOnWorkerDead;
  }

  private record(change: JobChange): void {
    const s = this.seriesFor(change.queue, change.type);
    if (change.previous === null) s.submitted.inc();
    if (change.waitMs !== undefined) s.queueWait.observe(change.waitMs / 1000);
    if (change.durationMs !== undefined) s.attemptDuration.observe(change.durationMs / 1000);
    switch (change.status) {
      case 'completed':
      case 'failed':
      case 'cancelled':
        s.finished[change.status].inc();
        break;
      case 'dead_letter':
        s.finished.dead_letter.inc();
        s.deadLetters.inc();
        break;
      case 'retrying':
        if (change.previous === 'running') s.retries.inc();
        break;
      case 'queued':
        // Back from running with an error: the worker was lost. A clean give-back carries none.
        if (change.previous === 'running' && change.error !== null) s.retries.inc();
        break;
      default:
        break;
    }
  }

  private seriesFor(queue: string, type: string): Series {
    const found = this.series.get(queue)?.get(type);
    if (found) return found;
    const [q, t] = this.seriesCount >= MAX_SERIES ? [OTHER_LABEL, OTHER_LABEL] : [queue, type];
    const existing = this.series.get(q)?.get(t);
    const s = existing ?? this.bind(q, t);
    if (!existing) this.seriesCount++;
    let byType = this.series.get(queue);
    if (!byType) {
      byType = new Map();
      this.series.set(queue, byType);
    }
    byType.set(type, s);
    return s;
  }

  /**
   * Binds the series of a new (queue, type) pair. Its counters are exported from 0 at once, so
   * that the first failure shows in increase()/rate() (a series born at 1 looks like no change).
   */
  private bind(queue: string, type: string): Series {
    return {
      queue,
      type,
      submitted: this.submitted.child(queue, type),
      finished: Object.fromEntries(FINAL_STATUSES.map((status) => [status, this.finished.child(queue, type, status)])) as Record<FinalStatus, CounterChild>,
      retries: this.retries.child(queue, type),
      deadLetters: this.deadLetters.child(queue, type),
      attemptDuration: this.attemptDuration.child(queue, type),
      queueWait: this.queueWait.child(queue, type),
    };
  }
}
