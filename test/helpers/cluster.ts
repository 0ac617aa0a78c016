/**
 * Test helpers: a real master on a loopback port 0 with its store in a temp directory, real
 * workers over gRPC, and polling with a deadline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveMasterConfig, resolveWorkerConfig, type MasterFlags, type WorkerFlags } from '../../src/config.js';
import { startMaster, type MasterPlugin, type RunningMaster } from '../../src/services/master.js';
import { startWorker } from '../../src/services/worker.js';
import { MasterClient } from '../../src/rpc/client.js';
import { silentLogger } from '../../src/log.js';
import type { Worker } from '../../src/worker/worker.js';
import type { HandlerMap } from '../../src/handlers/handler.js';
import type { Clock } from '../../src/core/clock.js';

export function tempDir(prefix = 'nucleus-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Polls `check` until it returns a truthy value or the deadline passes (then throws `what`). */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000, everyMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface TestCluster {
  dir: string;
  dbPath: string;
  running: RunningMaster;
  address: string;
  client: MasterClient;
  workers: Worker[];
  addWorker(flags?: WorkerFlags, handlers?: HandlerMap): Promise<Worker>;
  restartMaster(): Promise<void>;
  close(): Promise<void>;
}

export async function startCluster(
  options: { master?: MasterFlags; clock?: Clock; http?: MasterPlugin; dir?: string } = {},
): Promise<TestCluster> {
  const tmp = options.dir ? { path: options.dir, cleanup: () => undefined } : tempDir();
  const dbPath = join(tmp.path, 'nucleus.db');
  const config = resolveMasterConfig({ host: '127.0.0.1', port: 0, 'http-port': 0, db: dbPath, ...options.master }, {});
  let running: RunningMaster;
  try {
    running = await startMaster(config, silentLogger, { clock: options.clock, http: options.http });
  } catch (error) {
    tmp.cleanup();
    throw error;
  }
  const cluster: TestCluster = {
    dir: tmp.path,
    dbPath,
    running,
    address: `127.0.0.1:${running.grpcPort}`,
    client: new MasterClient({ address: `127.0.0.1:${running.grpcPort}` }),
    workers: [],
    async addWorker(flags = {}, handlers = {}) {
      const workerConfig = resolveWorkerConfig({ id: `w${cluster.workers.length + 1}`, master: cluster.address, ...flags }, {});
      const worker = await startWorker(workerConfig, silentLogger, handlers);
      cluster.workers.push(worker);
      return worker;
    },
    async restartMaster() {
      await cluster.running.stop();
      running = await startMaster({ ...config, port: running.grpcPort }, silentLogger, { clock: options.clock, http: options.http });
      cluster.running = running;
    },
    async close() {
      await Promise.all(cluster.workers.map((w) => w.stop(0)));
      cluster.client.close();
      await cluster.running.stop();
      tmp.cleanup();
    },
  };
  return cluster;
}

export const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
export const parse = (bytes: Uint8Array): unknown => (bytes.length ? JSON.parse(Buffer.from(bytes).toString()) : null);
