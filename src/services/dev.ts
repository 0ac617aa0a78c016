/**
 * `nucleus dev`: a master and workers in one process, for a first try and for local development.
 * With `demo`, it submits a few jobs, prints their results, and stops.
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolveMasterConfig, resolveWorkerConfig } from '../config.js';
import { startMaster, type RunningMaster } from './master.js';
import { startWorker } from './worker.js';
import { MasterClient } from '../rpc/client.js';
import { submit } from './submit.js';
import { jobJson } from './job-view.js';
import type { Worker } from '../worker/worker.js';
import type { Logger } from '../log.js';
import type { MasterPlugin } from './master.js';

export interface DevOptions {
  port: number;
  httpPort: number;
  /** Store path; a fresh temporary file when undefined. */
  db?: string;
  workers: number;
  concurrency: number;
  handlersPath: string | null;
  http?: MasterPlugin;
}

export interface DevCluster {
  running: RunningMaster;
  workers: Worker[];
  address: string;
  dbPath: string;
  stop(): Promise<void>;
}

export async function startDev(options: DevOptions, logger: Logger): Promise<DevCluster> {
  // Without --db the store is a throw-away file, removed when the cluster stops.
  const scratch = options.db ? null : mkdtempSync(join(tmpdir(), 'nucleus-dev-'));
  const dbPath = options.db ?? join(scratch!, 'nucleus.db');
  const config = resolveMasterConfig({ host: '127.0.0.1', port: options.port, 'http-port': options.httpPort, db: dbPath }, {});
  let running: RunningMaster;
  try {
    running = await startMaster(config, logger.child({ role: 'master' }), { http: options.http });
  } catch (error) {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
  const address = `127.0.0.1:${running.grpcPort}`;
  const workers: Worker[] = [];
  try {
    for (let i = 1; i <= options.workers; i++) {
      const workerConfig = resolveWorkerConfig({ id: `dev-w${i}`, master: address, concurrency: options.concurrency, handlers: options.handlersPath ?? undefined }, {});
      workers.push(await startWorker(workerConfig, logger.child({ role: 'worker', worker: `dev-w${i}` })));
    }
  } catch (error) {
    // A handler module that does not load, say: nothing may be left running or on disk.
    await Promise.all(workers.map((w) => w.stop(0)));
    await running.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
  return {
    running,
    workers,
    address,
    dbPath,
    async stop() {
      await Promise.all(workers.map((w) => w.stop(5_000)));
      await running.stop();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** Submits a few jobs of the built-in types and returns their results. */
export async function runDemo(address: string): Promise<Array<{ command: string; id: string; status: string; result: unknown; ms: number }>> {
  const client = new MasterClient({ address });
  const jobs = [
    { type: 'fibonacci', payload: '90' },
    { type: 'echo', payload: '{"message":"hello from nucleus"}' },
    { type: 'math', payload: '{"operation":"pow","a":2,"b":32}' },
    { type: 'sleep', payload: '{"duration":0.2}' },
  ];
  try {
    return await Promise.all(
      jobs.map(async (j) => {
        const started = Date.now();
        const outcome = await submit(client, { ...j, wait: true, waitTimeoutMs: 30_000 });
        const view = jobJson(outcome.job!);
        return { command: `nucleus submit ${j.type} '${j.payload}' --wait`, id: view.id, status: view.status, result: view.result, ms: Date.now() - started };
      }),
    );
  } finally {
    client.close();
  }
}
