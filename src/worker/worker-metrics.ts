/**
 * A worker's own Prometheus metrics, served by a tiny HTTP server in the worker process
 * (`nucleus worker --metrics-port`): executions by job type and outcome, their duration, and the
 * worker's slots. The master's /metrics already shows the cluster from the master's side; these
 * show what each worker did, including attempts whose results have not reached the master yet.
 *
 * Registry per worker (not prom-client's global one), labels bounded by the worker's handler types
 * (the master never assigns a type the worker did not declare) and by the five outcomes.
 */
import { createServer } from 'node:http';
import { Gauge, Registry } from 'prom-client';
import { CounterFamily, HistogramFamily, type CounterChild, type HistogramChild } from '../metric-families.js';
import { collectProcessMetrics } from '../metrics.js';
import { ErrorCode, NucleusError } from '../errors.js';
import type { AttemptEndInfo, Worker } from './worker.js';
import type { Logger } from '../log.js';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];

export interface WorkerMetricsOptions {
  /** The worker's id; every series carries it as the `worker` label. */
  id: string;
  concurrency: number;
  /** Export the default process metrics too. Default true. */
  processMetrics?: boolean;
}

export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly executions: CounterFamily;
  private readonly duration: HistogramFamily;
  /** Bound series by type, then outcome: an attempt end is two map lookups and two updates. */
  private readonly children = new Map<string, Map<string, { count: CounterChild; duration: HistogramChild }>>();

  constructor(
    private readonly worker: Worker,
    options: WorkerMetricsOptions,
  ) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ worker: options.id });
    this.executions = new CounterFamily(
      'nucleus_worker_executions_total',
      'Attempts this worker ran to an end, by job type and outcome (completed, error, fatal, timeout, cancelled).',
      ['type', 'outcome'],
      this.registry,
    );
    this.duration = new HistogramFamily('nucleus_worker_execution_duration_seconds', 'How long the handler ran, by job type and outcome.', ['type', 'outcome'], DURATION_BUCKETS, this.registry);
    new Gauge({
      name: 'nucleus_worker_busy_slots',
      help: 'Attempts running on this worker now.',
      registers,
      collect() {
        this.set(worker.busy);
      },
    });
    new Gauge({ name: 'nucleus_worker_concurrency', help: 'Slots of this worker (--concurrency).', registers }).set(options.concurrency);
    new Gauge({
      name: 'nucleus_worker_connected',
      help: '1 while the worker has a live stream to the master, else 0.',
      registers,
      collect() {
        this.set(worker.isConnected ? 1 : 0);
      },
    });
    if (options.processMetrics ?? true) collectProcessMetrics(this.registry);
    worker.onAttemptEnd = (end) => this.record(end);
  }

  record(end: AttemptEndInfo): void {
    let byOutcome = this.children.get(end.type);
    if (!byOutcome) {
      byOutcome = new Map();
      this.children.set(end.type, byOutcome);
    }
    let child = byOutcome.get(end.outcome);
    if (!child) {
      child = { count: this.executions.child(end.type, end.outcome), duration: this.duration.child(end.type, end.outcome) };
      byOutcome.set(end.outcome, child);
    }
    child.count.inc();
    child.duration.observe(end.durationMs / 1000);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** Stops recording (the worker keeps running). */
  close(): void {
    this.worker.onAttemptEnd = undefined;
  }
}

export interface WorkerMetricsServerOptions extends WorkerMetricsOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
}

export interface RunningWorkerMetrics {
  metrics: WorkerMetrics;
  port: number;
  stop(): Promise<void>;
}

/** Serves GET /metrics and GET /healthz for one worker. */
export async function serveWorkerMetrics(worker: Worker, options: WorkerMetricsServerOptions): Promise<RunningWorkerMetrics> {
  const metrics = new WorkerMetrics(worker, options);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, type: string, text: string) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method !== 'GET') return reply(405, 'application/json', JSON.stringify({ error: { code: 'METHOD_NOT_ALLOWED', message: `${path} takes GET` } }));
    if (path === '/metrics') {
      metrics.render().then(
        (text) => reply(200, metrics.registry.contentType, text),
        (error: unknown) => {
          options.logger.error({ err: error }, 'rendering metrics failed');
          reply(500, 'application/json', JSON.stringify({ error: { code: 'INTERNAL', message: String(error) } }));
        },
      );
      return;
    }
    if (path === '/healthz') return reply(200, 'application/json', JSON.stringify({ status: 'ok', state: worker.state, connected: worker.isConnected }));
    reply(404, 'application/json', JSON.stringify({ error: { code: 'NOT_FOUND', message: `no route ${path} (try /metrics or /healthz)` } }));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    metrics.close();
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new NucleusError(ErrorCode.Unavailable, `cannot listen for metrics on ${options.host}:${options.port} (${reason}); choose another --metrics-port`, { cause: error });
  }
  const address = server.address();
  return {
    metrics,
    port: typeof address === 'object' && address ? address.port : options.port,
    stop: () =>
      new Promise<void>((resolve) => {
        metrics.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
