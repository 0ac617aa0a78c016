import { Flags } from '@oclif/core';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { NucleusCommand } from './usage.js';
import { hostname } from 'node:os';
import { resolveWorkerConfig } from '../config.js';
import { createWorker } from '../services/worker.js';
import type { RunningWorkerMetrics } from '../worker/worker-metrics.js';
import { failStartup, roleLogger, runUntilSignal } from './lifecycle.js';
import { securityFlags } from './base.js';

export class Worker extends NucleusCommand {
  static override summary = 'Run a worker: takes jobs from the master over one stream and runs their handlers.';
  static override description = EXIT_CODES_HELP;
  static override examples = ['<%= config.bin %> worker --id w1', '<%= config.bin %> worker --id w2 --concurrency 16 --queues default,emails --handlers ./handlers.mjs'];
  static override flags = {
    id: Flags.string({ summary: 'Worker id, unique per worker. Env: NUCLEUS_WORKER_ID. Default: <hostname>-<pid>.' }),
    master: Flags.string({ char: 'm', summary: 'Master address host:port. Env: NUCLEUS_MASTER. Default: 127.0.0.1:50051.' }),
    concurrency: Flags.integer({ char: 'c', summary: 'Jobs run at once. Env: NUCLEUS_CONCURRENCY. Default: 4.', min: 1, max: 1024 }),
    queues: Flags.string({ char: 'q', summary: 'Queues to take jobs from, comma-separated. Env: NUCLEUS_QUEUES. Default: default.' }),
    handlers: Flags.string({ summary: 'Module exporting your handlers: { type: async (payload, ctx) => result }. Env: NUCLEUS_HANDLERS.' }),
    'allow-exec': Flags.string({ summary: 'Enable the exec job type for these programs (comma-separated; * allows any). Env: NUCLEUS_ALLOW_EXEC. Default: exec disabled.' }),
    isolation: Flags.string({
      summary: 'Where the handlers of --handlers run: thread (a worker thread each; a CPU-bound handler cannot stop heartbeats, one that ignores its abort signal is terminated 5 s after the abort), process (a child process each, the same guarantees, more memory) or none (this thread). Env: NUCLEUS_ISOLATION. Default: thread.',
      options: ['thread', 'process', 'none'],
    }),
    grace: Flags.string({ summary: 'On SIGTERM, how long running jobs may finish before they are given back. Env: NUCLEUS_GRACE. Default: 30s.' }),
    'log-level': Flags.string({ summary: 'trace, debug, info, warn, error or silent. Env: NUCLEUS_LOG_LEVEL. Default: info.' }),
    ...securityFlags(),
    'allow-http-hosts': Flags.string({
      summary: 'Let http_request reach these hosts although they are loopback, private or link-local: host names, IP addresses or CIDR ranges, comma-separated; * allows any address. Env: NUCLEUS_ALLOW_HTTP_HOSTS. Default: public addresses only.',
      helpGroup: 'SECURITY',
    }),
    'metrics-port': Flags.integer({ summary: 'Serve this worker\'s Prometheus /metrics on this port; 0 serves none. Env: NUCLEUS_METRICS_PORT. Default: 0.', min: 0, max: 65535 }),
    'metrics-host': Flags.string({ summary: 'Address --metrics-port listens on (0.0.0.0: every interface). Env: NUCLEUS_METRICS_HOST. Default: 127.0.0.1.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Worker);
    let config;
    try {
      config = resolveWorkerConfig(flags, process.env, `${hostname()}-${process.pid}`);
    } catch (error) {
      return failStartup(this, error);
    }
    const logger = roleLogger(config.logLevel, 'worker');
    let worker;
    let metrics: RunningWorkerMetrics | null = null;
    try {
      worker = await createWorker(config, logger);
      if (config.metricsPort) {
        // prom-client is loaded only by workers that serve metrics.
        metrics = await (await import('../worker/worker-metrics.js')).serveWorkerMetrics(worker, { host: config.metricsHost, port: config.metricsPort, id: config.id, concurrency: config.concurrency, logger });
      }
      worker.start();
    } catch (error) {
      await worker?.stop(0);
      return failStartup(this, error);
    }
    const refused = worker.refused.then(async (error) => {
      await worker.stop(0);
      await metrics?.stop();
      return error;
    });
    const stopped = runUntilSignal(async () => {
      await worker.stop(config.graceMs);
      await metrics?.stop();
    }, logger).then(() => null);
    // A refusal no retry can fix ends the worker with one line and exit code 5.
    const refusal = await Promise.race([stopped, refused]);
    if (refusal) return failStartup(this, refusal);
  }
}
