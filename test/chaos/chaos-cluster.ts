/**
 * The chaos suite's cluster: a real master process and worker processes (the built CLI), and the
 * faults it injects into them, drawn from a seeded Prng:
 *
 * - `master-kill`: SIGKILL the master, restart it on the same store and port;
 * - `worker-kill`: SIGKILL a worker, restart it (same id) a moment later;
 * - `worker-stop`: SIGSTOP a worker, SIGCONT it 0.5-4 s later: past the heartbeat timeout the
 *   master declares it dead and requeues its jobs, and when it wakes up it reports late;
 * - `worker-restart`: SIGTERM a worker (it drains with a short grace period), start it again.
 *
 * Waiting here (downtime, how long a worker stays stopped) is the fault schedule itself, not
 * synchronisation: every wait for a process to be ready or gone polls or listens with a deadline.
 */
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { PROJECT_ROOT, spawnCli, spawnMaster, type CliProcess, type MasterProcess } from '../helpers/process.js';
import type { Prng } from './prng.js';

export const FAULTS = ['master-kill', 'worker-kill', 'worker-stop', 'worker-restart'] as const;
export type Fault = (typeof FAULTS)[number];

const HANDLERS = join(PROJECT_ROOT, 'test', 'fixtures', 'chaos-handlers.mjs');
export const HEARTBEAT_ARGS = ['--heartbeat-interval', '300ms', '--heartbeat-timeout', '2s'];
const HEARTBEAT_TIMEOUT_MS = 2_000;

interface WorkerSlot {
  id: string;
  proc: CliProcess | null;
  state: 'up' | 'stopped' | 'down';
}

export interface FaultCounts {
  'master-kill': number;
  'worker-kill': number;
  'worker-stop': number;
  /** SIGSTOPs that lasted past the heartbeat timeout (the worker was declared dead). */
  'worker-stop-long': number;
  'worker-restart': number;
}

export class ChaosCluster {
  master!: MasterProcess;
  readonly workers: WorkerSlot[];
  readonly faults: FaultCounts = { 'master-kill': 0, 'worker-kill': 0, 'worker-stop': 0, 'worker-stop-long': 0, 'worker-restart': 0 };
  /** Restarts and SIGCONTs scheduled by faults and not yet done. */
  private readonly pending = new Set<Promise<void>>();
  private masterBusy: Promise<void> | null = null;

  constructor(
    readonly dir: string,
    workerCount: number,
    readonly concurrency: number,
  ) {
    this.workers = Array.from({ length: workerCount }, (_, i) => ({ id: `cw${i + 1}`, proc: null, state: 'down' as const }));
  }

  get db(): string {
    return join(this.dir, 'nucleus.db');
  }

  get address(): string {
    return this.master.address;
  }

  logOf(id: string): string {
    return join(this.dir, `executions-${id}.log`);
  }

  get logs(): string[] {
    return this.workers.map((w) => this.logOf(w.id));
  }

  async start(): Promise<void> {
    this.master = await spawnMaster({ db: this.db, args: HEARTBEAT_ARGS });
    for (const w of this.workers) this.startWorker(w);
  }

  private startWorker(w: WorkerSlot): void {
    w.proc = spawnCli(
      ['worker', '--id', w.id, '--master', this.master.address, '--concurrency', String(this.concurrency), '--handlers', HANDLERS, '--grace', '1s', '--log-level', 'error'],
      { env: { CHAOS_LOG: this.logOf(w.id), CHAOS_WORKER: w.id } },
    );
    w.state = 'up';
  }

  private later(work: () => Promise<void>): void {
    const p = work().finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Injects one fault; returns what it did, for the log. */
  async inject(fault: Fault, rng: Prng): Promise<string> {
    if (fault === 'master-kill') {
      if (this.masterBusy) return 'master-kill skipped (master restarting)';
      this.faults['master-kill']++;
      const downMs = rng.int(0, 400);
      this.masterBusy = (async () => {
        this.master.proc.kill('SIGKILL');
        await this.master.proc.waitForExit();
        await delay(downMs);
        this.master = await spawnMaster({ db: this.db, port: this.master.port, args: HEARTBEAT_ARGS });
      })().finally(() => (this.masterBusy = null));
      await this.masterBusy;
      return `master SIGKILL, down ${downMs} ms`;
    }
    const up = this.workers.filter((w) => w.state === 'up');
    if (up.length === 0) return `${fault} skipped (no worker up)`;
    const w = rng.pick(up);
    const proc = w.proc!;
    switch (fault) {
      case 'worker-kill': {
        this.faults['worker-kill']++;
        w.state = 'down';
        proc.kill('SIGKILL');
        const backMs = rng.int(100, 1_500);
        this.later(async () => {
          await proc.waitForExit();
          await delay(backMs);
          this.startWorker(w);
        });
        return `${w.id} SIGKILL, back in ${backMs} ms`;
      }
      case 'worker-stop': {
        this.faults['worker-stop']++;
        const stopMs = rng.int(500, 4_000);
        if (stopMs > HEARTBEAT_TIMEOUT_MS) this.faults['worker-stop-long']++;
        w.state = 'stopped';
        proc.kill('SIGSTOP');
        this.later(async () => {
          await delay(stopMs);
          proc.kill('SIGCONT');
          if (w.proc === proc) w.state = 'up';
        });
        return `${w.id} SIGSTOP for ${stopMs} ms`;
      }
      case 'worker-restart': {
        this.faults['worker-restart']++;
        w.state = 'down';
        proc.kill('SIGTERM');
        // Past its 1 s grace it gives back what it still runs; it must be gone well within 15 s.
        this.later(async () => {
          await proc.waitForExit(15_000);
          this.startWorker(w);
        });
        return `${w.id} SIGTERM and restart`;
      }
    }
  }

  /** Ends every fault in progress: stopped workers continue, dead ones and the master are back. */
  async restore(): Promise<void> {
    await this.masterBusy;
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    for (const w of this.workers) if (w.state !== 'up' || !w.proc || w.proc.exit) this.startWorker(w);
  }

  /** Orderly stop: workers first, then the master, so that its store is checkpointed and closed. */
  async stop(): Promise<void> {
    for (const w of this.workers) w.proc?.kill('SIGTERM');
    await Promise.all(this.workers.map((w) => w.proc?.waitForExit(15_000)));
    this.master.proc.kill('SIGTERM');
    await this.master.proc.waitForExit(15_000);
  }
}
