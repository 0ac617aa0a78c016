/**
 * The master's Prometheus metrics, in a registry of its own (never prom-client's global one), so
 * that several masters can live in one process and each one's /metrics shows only itself.
 *
 * What it guarantees:
 * - Counters move from the master's event bus, one cheap step per job change: the label children
 *   are bound once per (queue, type) and kept in a map, so the hot path does a map lookup and an
 *   increment, never a label-hash or an allocation.
 * - Gauges (queue depth, workers, slots) are read from the scheduler's in-memory state when
 *   Prometheus scrapes; nothing is counted in the store.
 * - Cardinality is bounded: labels are queue, job type and status, never a job id, and after
 *   MAX_SERIES distinct (queue, type) pairs new pairs are counted under queue="_other",
 *   type="_other".
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
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

interface Inc {
  inc(value?: number): void;
}
interface Observe {
  observe(value: number): void;
}

/** The bound children of one (queue, type) pair. */
interface Series {
  queue: string;
  type: string;
  submitted: Inc;
  finished: Record<FinalStatus, Inc>;
  retries: Inc;
  deadLetters: Inc;
  attemptDuration: Observe;
  queueWait: Observe;
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
  private readonly submitted: Counter<'queue' | 'type'>;
  private readonly finished: Counter<'queue' | 'type' | 'status'>;
  private readonly retries: Counter<'queue' | 'type'>;
  private readonly deadLetters: Counter<'queue' | 'type'>;
  private readonly heartbeatTimeouts: Counter;
  private readonly attemptDuration: Histogram<'queue' | 'type'>;
  private readonly queueWait: Histogram<'queue' | 'type'>;
  private readonly series = new Map<string, Series>();
  private readonly unsubscribe: () => void;
  private readonly previousOnWorkerDead: Master['scheduler']['onWorkerDead'];

  constructor(
    private readonly master: Master,
    options: MasterMetricsOptions = {},
  ) {
    const registers = [this.registry];
    this.submitted = new Counter({ name: 'nucleus_jobs_submitted_total', help: 'Jobs accepted (idempotent duplicates excluded).', labelNames: ['queue', 'type'], registers });
    this.finished = new Counter({
      name: 'nucleus_jobs_finished_total',
      help: 'Jobs that reached a final status (completed, failed, dead_letter, cancelled); a re-driven job counts again when it finishes again.',
      labelNames: ['queue', 'type', 'status'],
      registers,
    });
    this.retries = new Counter({
      name: 'nucleus_job_retries_total',
      help: 'Failed attempts that will be retried: errors and timeouts with retries left (to retrying) and lost workers (back to queued).',
      labelNames: ['queue', 'type'],
      registers,
    });
    this.deadLetters = new Counter({ name: 'nucleus_jobs_dead_letter_total', help: 'Jobs moved to dead_letter, out of retries.', labelNames: ['queue', 'type'], registers });
    this.heartbeatTimeouts = new Counter({ name: 'nucleus_worker_heartbeat_timeouts_total', help: 'Workers declared dead because their heartbeats stopped.', registers });
    this.attemptDuration = new Histogram({
      name: 'nucleus_job_attempt_duration_seconds',
      help: 'How long attempts ran, from dispatch to the recorded end, whatever the outcome.',
      labelNames: ['queue', 'type'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.queueWait = new Histogram({
      name: 'nucleus_job_queue_wait_seconds',
      help: 'How long jobs waited between becoming runnable and being dispatched.',
      labelNames: ['queue', 'type'],
      buckets: WAIT_BUCKETS,
      registers,
    });

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
    const key = `${queue}\u0000${type}`;
    let s = this.series.get(key);
    if (s) return s;
    if (this.series.size >= MAX_SERIES) {
      const other = `${OTHER_LABEL}\u0000${OTHER_LABEL}`;
      s = this.series.get(other) ?? this.bind(OTHER_LABEL, OTHER_LABEL);
      this.series.set(other, s);
      return s;
    }
    s = this.bind(queue, type);
    this.series.set(key, s);
    return s;
  }

  /**
   * Binds the children of a new (queue, type) pair and starts its counters at 0, so that the
   * first failure shows in increase()/rate() (a series born at 1 would look like no change).
   */
  private bind(queue: string, type: string): Series {
    const zero = <T extends Inc>(child: T): T => {
      child.inc(0);
      return child;
    };
    return {
      queue,
      type,
      submitted: zero(this.submitted.labels(queue, type)),
      finished: Object.fromEntries(FINAL_STATUSES.map((status) => [status, zero(this.finished.labels(queue, type, status))])) as Record<FinalStatus, Inc>,
      retries: zero(this.retries.labels(queue, type)),
      deadLetters: zero(this.deadLetters.labels(queue, type)),
      attemptDuration: this.attemptDuration.labels(queue, type),
      queueWait: this.queueWait.labels(queue, type),
    };
  }
}
