/**
 * The chaos suite's cluster: a real master process and worker processes (the built CLI), and the
 * faults it injects into them, drawn from a seeded Prng:
 *
 * - `master-kill`: SIGKILL the master, restart it on the same store and port;
 * - `worker-kill`: SIGKILL a worker, restart it (same id) a moment later;
 * - `worker-stop`: SIGSTOP a worker, SIGCONT it 0.5-4 s later: past the heartbeat timeout the
 *   master declares it dead and requeues its jobs, and when it wakes up it reports late;
 * - `worker-restart`: SIGTERM a worker (it drains with a short grace period), start it again;
 * - `master-stop`: SIGSTOP the master for 0.5-4 s, then SIGCONT: a master that was paused must
 *   not blame its workers for the silence;
 * - `net-delay`, `net-loss`, `net-partition` (only with a NetworkNamespace): delay or lose packets
 *   between the master and the workers in the namespace for a few seconds, or cut them off for
 *   `partitionMs` (20 s by default) and heal.
 *
 * It also samples the RSS of every master process (start and peak), keeps the masters' logs, and
 * records when each worker was faulted, so that the suite can tell a worker declared dead while
 * healthy from one that had it coming.
 *
 * Waiting here (downtime, how long a worker stays stopped) is the fault schedule itself, not
 * synchronisation: every wait for a process to be ready or gone polls or listens with a deadline.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { PROJECT_ROOT, spawnCli, spawnMaster, type CliProcess, type MasterProcess } from '../helpers/process.js';
import type { NetworkNamespace } from './netns.js';
import type { Prng } from './prng.js';

export const PROCESS_FAULTS = ['master-kill', 'worker-kill', 'worker-stop', 'worker-restart', 'master-stop'] as const;
export const NET_FAULTS = ['net-delay', 'net-loss', 'net-partition'] as const;
export const FAULTS = [...PROCESS_FAULTS, ...NET_FAULTS] as const;
export type Fault = (typeof FAULTS)[number];

/** A span of time in which a worker was faulted (ms since the epoch); `to` null while it lasts. */
export interface FaultWindow {
  worker: string;
  fault: Fault;
  from: number;
  to: number | null;
}

/** RSS of one master process: at its first sample and at its peak, in bytes. */
export interface MasterRss {
  pid: number;
  start: number;
  peak: number;
  last: number;
}

function rssOf(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const HANDLERS = join(PROJECT_ROOT, 'test', 'fixtures', 'chaos-handlers.mjs');
export const HEARTBEAT_ARGS = ['--heartbeat-interval', '300ms', '--heartbeat-timeout', '2s'];
const HEARTBEAT_TIMEOUT_MS = 2_000;

interface WorkerSlot {
  id: string;
  proc: CliProcess | null;
  state: 'up' | 'stopped' | 'down';
  /** Runs inside the network namespace, across the damaged link. */
  remote: boolean;
}

export interface FaultCounts {
  'master-kill': number;
  'worker-kill': number;
  'worker-stop': number;
  /** SIGSTOPs that lasted past the heartbeat timeout (the worker was declared dead). */
  'worker-stop-long': number;
  'worker-restart': number;
  'master-stop': number;
  'net-delay': number;
  'net-loss': number;
  'net-partition': number;
}

export interface ChaosClusterOptions {
  /** Workers 1..remoteWorkers run in this namespace and reach the master across its veth. */
  netns?: NetworkNamespace | null;
  remoteWorkers?: number;
  /** How long a partition lasts before it heals. */
  partitionMs?: number;
}

export class ChaosCluster {
  master!: MasterProcess;
  readonly workers: WorkerSlot[];
  readonly faults: FaultCounts = {
    'master-kill': 0,
    'worker-kill': 0,
    'worker-stop': 0,
    'worker-stop-long': 0,
    'worker-restart': 0,
    'master-stop': 0,
    'net-delay': 0,
    'net-loss': 0,
    'net-partition': 0,
  };
  readonly windows: FaultWindow[] = [];
  readonly rss: MasterRss[] = [];
  /** The logs of master processes that are gone (the current one's is read from it). */
  private readonly pastMasterLogs: string[] = [];
  private rssTimer: NodeJS.Timeout | null = null;
  private netBusy = false;
  /** Restarts and SIGCONTs scheduled by faults and not yet done. */
  private readonly pending = new Set<Promise<void>>();
  private masterBusy: Promise<void> | null = null;

  constructor(
    readonly dir: string,
    workerCount: number,
    readonly concurrency: number,
    readonly options: ChaosClusterOptions = {},
  ) {
    const remote = options.netns ? (options.remoteWorkers ?? 1) : 0;
    this.workers = Array.from({ length: workerCount }, (_, i) => ({ id: `cw${i + 1}`, proc: null, state: 'down' as const, remote: i < remote }));
  }

  /** Where the master listens: the host end of the veth when there is a namespace. */
  private get host(): string {
    return this.options.netns?.hostAddress ?? '127.0.0.1';
  }

  /** Every master's log so far (JSON lines at warn and above). */
  get masterLog(): string {
    return [...this.pastMasterLogs, this.master?.proc.stderr() ?? ''].join('');
  }

  private async spawnMasterHere(port?: number): Promise<void> {
    this.master = await spawnMaster({ db: this.db, port, host: this.host, args: HEARTBEAT_ARGS });
    const pid = this.master.proc.pid;
    const first = rssOf(pid);
    if (first !== null) this.rss.push({ pid, start: first, peak: first, last: first });
  }

  private sampleRss(): void {
    const current = this.rss.at(-1);
    if (!current || current.pid !== this.master.proc.pid) return;
    const now = rssOf(current.pid);
    if (now === null) return;
    current.last = now;
    current.peak = Math.max(current.peak, now);
  }

  private window(worker: string, fault: Fault): FaultWindow {
    const w: FaultWindow = { worker, fault, from: Date.now(), to: null };
    this.windows.push(w);
    return w;
  }

  get db(): string {
    return join(this.dir, 'nucleus.db');
  }

  get address(): string {
    return `${this.host}:${this.master.port}`;
  }

  logOf(id: string): string {
    return join(this.dir, `executions-${id}.log`);
  }

  get logs(): string[] {
    return this.workers.map((w) => this.logOf(w.id));
  }

  async start(): Promise<void> {
    await this.spawnMasterHere();
    this.rssTimer = setInterval(() => this.sampleRss(), 250);
    for (const w of this.workers) this.startWorker(w);
  }

  private startWorker(w: WorkerSlot): void {
    w.proc = spawnCli(
      ['worker', '--id', w.id, '--master', this.address, '--concurrency', String(this.concurrency), '--handlers', HANDLERS, '--grace', '1s', '--log-level', 'error'],
      { env: { CHAOS_LOG: this.logOf(w.id), CHAOS_WORKER: w.id }, prefix: w.remote ? this.options.netns!.prefix : undefined },
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
        this.pastMasterLogs.push(this.master.proc.stderr());
        await delay(downMs);
        await this.spawnMasterHere(this.master.port);
      })().finally(() => (this.masterBusy = null));
      await this.masterBusy;
      return `master SIGKILL, down ${downMs} ms`;
    }
    if (fault === 'master-stop') {
      if (this.masterBusy) return 'master-stop skipped (master restarting)';
      this.faults['master-stop']++;
      const stopMs = rng.int(500, 4_000);
      this.masterBusy = (async () => {
        const proc = this.master.proc;
        proc.kill('SIGSTOP');
        await delay(stopMs);
        proc.kill('SIGCONT');
      })().finally(() => (this.masterBusy = null));
      return `master SIGSTOP for ${stopMs} ms`;
    }
    if (fault === 'net-delay' || fault === 'net-loss' || fault === 'net-partition') {
      const netns = this.options.netns;
      if (!netns) return `${fault} skipped (no network namespace)`;
      if (this.netBusy) return `${fault} skipped (a network fault is on)`;
      this.netBusy = true;
      this.faults[fault]++;
      const lasts = fault === 'net-partition' ? (this.options.partitionMs ?? 20_000) : rng.int(1_000, 4_000);
      const what = netns.set(fault === 'net-delay' ? 'delay' : fault === 'net-loss' ? 'loss' : 'partition', rng);
      const windows = this.workers.filter((w) => w.remote).map((w) => this.window(w.id, fault));
      this.later(async () => {
        await delay(lasts);
        netns.set(null);
        const healed = Date.now();
        for (const w of windows) w.to = healed;
        this.netBusy = false;
      });
      return `${what} for ${lasts} ms`;
    }
    const up = this.workers.filter((w) => w.state === 'up');
    if (up.length === 0) return `${fault} skipped (no worker up)`;
    const w = rng.pick(up);
    const proc = w.proc!;
    switch (fault) {
      case 'worker-kill': {
        this.faults['worker-kill']++;
        w.state = 'down';
        const span = this.window(w.id, fault);
        proc.kill('SIGKILL');
        const backMs = rng.int(100, 1_500);
        this.later(async () => {
          await proc.waitForExit();
          await delay(backMs);
          this.startWorker(w);
          span.to = Date.now();
        });
        return `${w.id} SIGKILL, back in ${backMs} ms`;
      }
      case 'worker-stop': {
        this.faults['worker-stop']++;
        const stopMs = rng.int(500, 4_000);
        if (stopMs > HEARTBEAT_TIMEOUT_MS) this.faults['worker-stop-long']++;
        w.state = 'stopped';
        const span = this.window(w.id, fault);
        proc.kill('SIGSTOP');
        this.later(async () => {
          await delay(stopMs);
          proc.kill('SIGCONT');
          span.to = Date.now();
          if (w.proc === proc) w.state = 'up';
        });
        return `${w.id} SIGSTOP for ${stopMs} ms`;
      }
      case 'worker-restart': {
        this.faults['worker-restart']++;
        w.state = 'down';
        const span = this.window(w.id, fault);
        proc.kill('SIGTERM');
        // Past its 1 s grace it gives back what it still runs; it must be gone well within 15 s.
        this.later(async () => {
          await proc.waitForExit(15_000);
          this.startWorker(w);
          span.to = Date.now();
        });
        return `${w.id} SIGTERM and restart`;
      }
    }
  }

  /** Ends every fault in progress: stopped workers continue, dead ones and the master are back. */
  async restore(): Promise<void> {
    await this.masterBusy;
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    this.options.netns?.set(null);
    for (const w of this.workers) {
      if (w.state !== 'up' || !w.proc || w.proc.exit) {
        this.startWorker(w);
        const span = this.window(w.id, 'worker-restart');
        span.to = Date.now();
      }
    }
  }

  /**
   * Workers the master declared dead while healthy: a "worker declared dead" line in a master's
   * log at a moment when that worker had no fault in progress or just ended (within the
   * heartbeat timeout and `slackMs`).
   */
  healthyDeclaredDead(slackMs = 3_000): string[] {
    const found: string[] = [];
    for (const line of this.masterLog.split('\n')) {
      if (!line.includes('worker declared dead')) continue;
      let entry: { worker?: string; time?: number };
      try {
        entry = JSON.parse(line) as { worker?: string; time?: number };
      } catch {
        continue;
      }
      const { worker, time } = entry;
      if (!worker || !time) continue;
      const excused = this.windows.some((w) => w.worker === worker && w.from - 100 <= time && time <= (w.to ?? Infinity) + HEARTBEAT_TIMEOUT_MS + slackMs);
      if (!excused) found.push(`${worker} at ${new Date(time).toISOString()}`);
    }
    return found;
  }

  /** Orderly stop: workers first, then the master, so that its store is checkpointed and closed. */
  async stop(): Promise<void> {
    if (this.rssTimer) clearInterval(this.rssTimer);
    this.sampleRss();
    for (const w of this.workers) w.proc?.kill('SIGTERM');
    await Promise.all(this.workers.map((w) => w.proc?.waitForExit(15_000)));
    this.master.proc.kill('SIGTERM');
    await this.master.proc.waitForExit(15_000);
  }
}
