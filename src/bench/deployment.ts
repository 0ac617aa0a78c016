/**
 * The clusters `nucleus bench --spawn` measures, in temporary storage:
 * - `inproc`: master and workers in this very process, composed as `nucleus dev` composes them
 *   (startMaster + startWorker), so everything, the load generator included, shares one process;
 * - `procs`: the master and each worker as child processes of this CLI (`nucleus master`,
 *   `nucleus worker`), talking over loopback gRPC, as they run in production.
 * Both are stopped in order (workers, then master) and their storage removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';
import { resolveMasterConfig, resolveWorkerConfig } from '../config.js';
import { MasterClient } from '../rpc/client.js';
import { NucleusError, ErrorCode } from '../errors.js';
import { silentLogger } from '../log.js';
import type { Worker } from '../worker/worker.js';

export type DeploymentKind = 'inproc' | 'procs';
export type SyncMode = 'normal' | 'full';

export interface DeploymentOptions {
  kind: DeploymentKind;
  workers: number;
  workerConcurrency: number;
  sync: SyncMode;
  /** The queue the workers take jobs from. */
  queue: string;
  /** The CLI entry script for `procs`; defaults to this package's bin/run.js. */
  cliEntry?: string;
  /** How long to wait for the master to listen and the workers to connect, ms. */
  startTimeoutMs?: number;
}

export interface Deployment {
  kind: DeploymentKind;
  address: string;
  /** Process ids to sample: the master's and the workers' (this process for inproc). */
  masterPid: number;
  workerPids: number[];
  stop(): Promise<void>;
}

/** This package's CLI entry, from src/bench or dist/bench alike. */
export const defaultCliEntry = (): string => fileURLToPath(new URL('../../bin/run.js', import.meta.url));

export async function startDeployment(options: DeploymentOptions): Promise<Deployment> {
  const dir = mkdtempSync(join(tmpdir(), 'nucleus-bench-'));
  const dbPath = join(dir, 'nucleus.db');
  try {
    const deployment = options.kind === 'inproc' ? await startInProcess(options, dbPath) : await startProcesses(options, dbPath);
    const stop = deployment.stop;
    deployment.stop = async () => {
      try {
        await stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    return deployment;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function startInProcess(options: DeploymentOptions, dbPath: string): Promise<Deployment> {
  const config = resolveMasterConfig({ host: '127.0.0.1', port: 0, 'http-port': 0, db: dbPath, sync: options.sync }, {});
  // Loaded here, not at the top: the CLI loads every command's module to list it.
  const { startMaster } = await import('../services/master.js');
  const { startWorker } = await import('../services/worker.js');
  const running = await startMaster(config, silentLogger);
  const address = `127.0.0.1:${running.grpcPort}`;
  const workers: Worker[] = [];
  try {
    for (let i = 1; i <= options.workers; i++) {
      const workerConfig = resolveWorkerConfig({ id: `bench-w${i}`, master: address, concurrency: options.workerConcurrency, queues: options.queue }, {});
      workers.push(await startWorker(workerConfig, silentLogger));
    }
    await waitForWorkers(address, options.workers, options.startTimeoutMs ?? 15_000);
  } catch (error) {
    await Promise.all(workers.map((w) => w.stop(0)));
    await running.stop();
    throw error;
  }
  return {
    kind: 'inproc',
    address,
    masterPid: process.pid,
    workerPids: [],
    async stop() {
      await Promise.all(workers.map((w) => w.stop(5_000)));
      await running.stop();
    },
  };
}

async function startProcesses(options: DeploymentOptions, dbPath: string): Promise<Deployment> {
  const entry = options.cliEntry ?? defaultCliEntry();
  const timeoutMs = options.startTimeoutMs ?? 15_000;
  const children: ChildProcess[] = [];
  const stopAll = async () => {
    // Workers first, so that they give back nothing and the master sees clean goodbyes.
    for (const child of children.slice(1).reverse()) await stopChild(child);
    if (children[0]) await stopChild(children[0]);
  };
  try {
    const master = spawnCli(entry, ['master', '--host', '127.0.0.1', '--port', '0', '--http-port', '0', '--db', dbPath, '--sync', options.sync, '--log-level', 'warn']);
    children.push(master);
    const port = await listeningPort(master, timeoutMs);
    const address = `127.0.0.1:${port}`;
    for (let i = 1; i <= options.workers; i++) {
      children.push(
        spawnCli(entry, ['worker', '--id', `bench-w${i}`, '--master', address, '--concurrency', String(options.workerConcurrency), '--queues', options.queue, '--log-level', 'warn']),
      );
    }
    await waitForWorkers(address, options.workers, timeoutMs);
    return { kind: 'procs', address, masterPid: master.pid!, workerPids: children.slice(1).map((c) => c.pid!), stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The spawned cluster is self-contained: the caller's NUCLEUS_* settings (token, TLS, store) must not leak into it. */
function clusterEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('NUCLEUS_')));
}

/** The last lines a child wrote on stderr, for error messages; always read so it never blocks. */
const stderrTail = new WeakMap<ChildProcess, string>();

function spawnCli(entry: string, args: string[]): ChildProcess {
  // Inside the single executable, the executable is the CLI and takes the command line itself.
  const child = spawn(process.execPath, isSea() ? args : [entry, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: clusterEnv() });
  stderrTail.set(child, '');
  child.stderr!.on('data', (chunk: Buffer) => stderrTail.set(child, (stderrTail.get(child)! + chunk.toString()).slice(-4096)));
  return child;
}

/** Reads the master's "listening: gRPC host:port" line from its stderr. */
function listeningPort(master: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`the master did not start listening within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string) => {
      clearTimeout(timer);
      const text = stderrTail.get(master)!.trim().slice(-500);
      reject(new NucleusError(ErrorCode.Unavailable, `${why}${text ? `: ${text}` : ''}`));
    };
    master.stderr!.on('data', () => {
      const match = /gRPC \S+:(\d+)/.exec(stderrTail.get(master)!);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    master.once('exit', (code, signal) => fail(`the master exited (${signal ?? code}) before listening`));
  });
}

async function waitForWorkers(address: string, count: number, timeoutMs: number): Promise<void> {
  const client = new MasterClient({ address, timeoutMs: 2_000 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const alive = await client.call('getStats', {}).then(
        (s) => s.workers.filter((w) => w.alive).length,
        () => -1,
      );
      if (alive >= count) return;
      if (Date.now() > deadline) {
        throw new NucleusError(ErrorCode.Unavailable, `${count} workers did not connect within ${timeoutMs} ms (${Math.max(0, alive)} did)`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    client.close();
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Resident set size of a process, MiB (Linux /proc); NaN where it cannot be read. */
export function rssMiB(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return pid === process.pid ? process.memoryUsage.rss() / 2 ** 20 : Number.NaN;
  }
}
