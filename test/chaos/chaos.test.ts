/**
 * Chaos: a real master process, worker processes and producers in this process, with faults at
 * random moments (see chaos-cluster.ts), then a check of every guarantee (see invariants.ts).
 *
 * Runs in CI in its short form (about 15 s of faults, then a 20 s partition heals). Run it alone,
 * longer, with (the 30-minute setting is in bench/README.md):
 *
 *   npm run build && CHAOS_SEED=42 CHAOS_DURATION=5m CHAOS_RATE=300 npx vitest run test/chaos
 *
 * Faults (chaos-cluster.ts): master SIGKILL and SIGSTOP/SIGCONT, worker SIGKILL, SIGSTOP/SIGCONT
 * and SIGTERM, and, where a network namespace can be made (root; CI runs as root and must have
 * it), delay, loss and a partition between the master and one worker. Alongside the producers,
 * clients abandon result waits (GetJobResult with an hour's wait, cancelled) and WatchEvents
 * readers stall. Payloads and results come in mixed sizes up to the 1 MiB limit.
 *
 * Settings (environment): CHAOS_SEED (replays a schedule), CHAOS_DURATION (faults and production,
 * default 15s), CHAOS_RATE (jobs submitted per second, default 120), CHAOS_WORKERS (default 4),
 * CHAOS_CONCURRENCY (slots per worker, default 8), CHAOS_FAULT_EVERY (mean gap between faults,
 * default 1s), CHAOS_MASTER_SHARE (share of faults that kill the master, default 0.15), CHAOS_DRAIN
 * (how long the backlog may take to finish afterwards, default 60s), CHAOS_KEEP (keep the run's
 * directory: store and execution logs), CHAOS_PARTITION (how long a partition lasts, default 20s),
 * CHAOS_NETNS (0 leaves the network faults out even where they could run).
 *
 * Producers behave as careful producers do: each job carries an idempotency key and a submit is
 * retried until it is acknowledged, so that a crash between commit and acknowledgement neither
 * loses the job nor stores it twice. Pacing the producers and spacing the faults are the load and
 * the fault schedule; every wait for an outcome polls with a deadline.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { tempDir, waitFor } from '../helpers/cluster.js';
import { killAll } from '../helpers/process.js';
import { Metadata, type ClientUnaryCall } from '@grpc/grpc-js';
import { ChaosCluster, FAULTS, NET_FAULTS, PROCESS_FAULTS, type Fault } from './chaos-cluster.js';
import { NetworkNamespace, netnsAvailable } from './netns.js';
import { stalledWatcher, type StalledWatcher } from '../helpers/stalled-watcher.js';
import { GetJobResultRequest } from '../../src/rpc/generated/nucleus/v1/jobs.js';
import { judge, readExecutions, type ChaosVerdict } from './invariants.js';
import { Prng, seedFrom } from './prng.js';
import { MasterClient } from '../../src/rpc/client.js';
import { parseDuration } from '../../src/core/duration.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';

function durationEnv(name: string, fallback: string): number {
  const ms = parseDuration(process.env[name] || fallback);
  if (typeof ms !== 'number') throw new Error(`${name}: ${ms.error}`);
  return ms;
}

const SEED = seedFrom(process.env.CHAOS_SEED);
const DURATION_MS = durationEnv('CHAOS_DURATION', '15s');
const RATE = Number(process.env.CHAOS_RATE ?? 120);
const WORKERS = Number(process.env.CHAOS_WORKERS ?? 4);
const CONCURRENCY = Number(process.env.CHAOS_CONCURRENCY ?? 8);
const FAULT_EVERY_MS = durationEnv('CHAOS_FAULT_EVERY', '1s');
const DRAIN_MS = durationEnv('CHAOS_DRAIN', '60s');
const MASTER_SHARE = Number(process.env.CHAOS_MASTER_SHARE ?? 0.15);
const PARTITION_MS = durationEnv('CHAOS_PARTITION', '20s');
const PRODUCERS = 6;
const STALLED_WATCHERS = 4;
/** How far a master's RSS may grow over its first sample. */
const RSS_GROWTH_LIMIT = 100 * 2 ** 20;
const MAX_PAYLOAD = 1024 * 1024;
const SIZES = process.env.CHAOS_SIZES !== 'small';
const BATCH = 10;
const NON_TERMINAL = [JobStatus.JOB_STATUS_QUEUED, JobStatus.JOB_STATUS_SCHEDULED, JobStatus.JOB_STATUS_RUNNING, JobStatus.JOB_STATUS_RETRYING];

// Network faults need a namespace: in CI (root) they must run; elsewhere they run when they can.
const netnsProblem = process.env.CHAOS_NETNS === '0' ? 'left out (CHAOS_NETNS=0)' : netnsAvailable();
if (netnsProblem && process.env.CI && process.env.CHAOS_NETNS !== '0') throw new Error(`chaos: CI must run the network faults, but ${netnsProblem}`);
const netns = netnsProblem ? null : new NetworkNamespace(1 + (process.pid % 200));

const dir = tempDir('nucleus-chaos-');
afterAll(async () => {
  await killAll();
  netns?.destroy();
  if (!process.env.CHAOS_KEEP) dir.cleanup();
});

/**
 * Most jobs take a few ms; some run long enough to be caught by a graceful restart (given back
 * past the 1 s grace) or a master crash; a few outlive their 1 s timeout on the first attempt.
 */
type Shape = { sleepMs: number; firstSleepMs?: number; resultBytes?: number; pad?: string };

function jobShape(rng: Prng): { payload: Shape; timeoutMs: number } {
  const roll = rng.next();
  const shape: { payload: Shape; timeoutMs: number } =
    roll < 0.03
      ? { payload: { sleepMs: 5, firstSleepMs: 1_500 }, timeoutMs: 1_000 }
      : roll < 0.08
        ? { payload: { sleepMs: rng.int(500, 2_500) }, timeoutMs: 10_000 }
        : { payload: { sleepMs: rng.int(2, 40) }, timeoutMs: 1_000 };
  // Sizes: mostly small, some tens and hundreds of KB, a few at the limit, payload and result apart.
  const size = () => {
    const r = rng.next();
    if (!SIZES) return 0;
    return r < 0.9 ? 0 : r < 0.982 ? rng.int(1_000, 100_000) : r < 0.997 ? rng.int(100_000, 600_000) : MAX_PAYLOAD - rng.int(100, 300);
  };
  const payloadBytes = size();
  const resultBytes = size();
  if (resultBytes > 0) shape.payload.resultBytes = resultBytes;
  if (payloadBytes > 0) shape.payload.pad = 'p'.repeat(Math.max(0, payloadBytes - JSON.stringify(shape.payload).length - 10));
  return shape;
}

/** Splits a batch into calls whose payloads add up to at most one largest payload. */
function fitting<T extends { payload: Buffer }>(specs: T[]): T[][] {
  const groups: T[][] = [];
  let bytes = Infinity;
  for (const spec of specs) {
    if (bytes + spec.payload.length > MAX_PAYLOAD) {
      groups.push([]);
      bytes = 0;
    }
    groups.at(-1)!.push(spec);
    bytes += spec.payload.length;
  }
  return groups;
}

/** Submits with retries until acknowledged or `giveUpAt`; counts the retries. */
async function untilAcknowledged<T>(call: () => Promise<T>, giveUpAt: number, retries: { n: number }): Promise<T | null> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch {
      if (Date.now() > giveUpAt) return null;
      retries.n++;
      await delay(Math.min(500, 20 * 2 ** attempt));
    }
  }
}

function report(v: ChaosVerdict, extra: Record<string, string>): string {
  const ok = (list: string[]) => (list.length === 0 ? 'holds' : `VIOLATED ${list.length}x, e.g. ${list.slice(0, 3).join('; ')}`);
  const fmt = (o: Record<string, number>) => Object.entries(o).sort().map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    `chaos run: seed ${SEED}, ${DURATION_MS / 1000} s of load and faults, ${WORKERS} workers x ${CONCURRENCY} slots, ${RATE} jobs/s offered`,
    ...Object.entries(extra).map(([k, val]) => `  ${k}: ${val}`),
    `  jobs: ${v.acknowledged} acknowledged, ${v.stored} stored; by status: ${fmt(v.byStatus)}`,
    `  executions: ${v.executions} (${v.jobsRunMoreThanOnce} jobs ran more than once, ${v.supersededExecutions} superseded runs); attempts by outcome: ${fmt(v.attemptsByOutcome)}`,
    '  invariants:',
    `    every acknowledged job reached a terminal state: ${ok(v.violations.terminal)}`,
    `    no acknowledged job lost: ${ok(v.violations.lost)}; no unacknowledged job stored: ${ok(v.violations.phantom)}`,
    `    each completed job has exactly one result, from its last lease: ${ok(v.violations.oneResult)}`,
    `    no late result applied: ${ok(v.violations.lateResult)}`,
    `    every run had a lease; runs beyond one only after a lost worker, a timeout or a give-back: ${ok(v.violations.executions)}`,
  ].join('\n');
}

describe('chaos', () => {
  it(`given a master, ${WORKERS} workers and producers, when masters and workers are killed, stopped and restarted at random for ${DURATION_MS / 1000} s (seed ${SEED}), then every guarantee holds`, { timeout: DURATION_MS + DRAIN_MS + PARTITION_MS + 90_000 }, async () => {
    const cluster = new ChaosCluster(dir.path, WORKERS, CONCURRENCY, { netns, remoteWorkers: 1, partitionMs: PARTITION_MS });
    await cluster.start();
    const client = new MasterClient({ address: cluster.address, timeoutMs: 3_000 });
    const started = Date.now();
    const endAt = started + DURATION_MS;
    const giveUpAt = endAt + 30_000;

    // Producers: job i is due at started + i / RATE; even producers send batches, odd ones single jobs.
    const acknowledged = new Map<string, string>();
    const retries = { n: 0 };
    let unacknowledged = 0;
    let next = 0;
    const produce = async (p: number) => {
      const rng = new Prng(SEED * 31 + p);
      const size = p % 2 === 0 ? BATCH : 1;
      for (;;) {
        const first = next;
        const dueAt = started + (first * 1000) / RATE;
        if (dueAt >= endAt) return;
        next += size;
        if (dueAt > Date.now()) await delay(dueAt - Date.now());
        const specs = Array.from({ length: size }, (_, k) => {
          const shape = jobShape(rng);
          return {
            type: 'chaos',
            idempotencyKey: `chaos-${SEED}-${first + k}`,
            payload: Buffer.from(JSON.stringify(shape.payload)),
            maxRetries: 25,
            timeoutMs: shape.timeoutMs,
            backoffBaseMs: 100,
            backoffCapMs: 1_000,
          };
        });
        // A call carries at most about one largest payload: a batch is cut where it would not fit.
        for (const group of fitting(specs)) {
          const ids = await untilAcknowledged(
            async () => (group.length === 1 ? [(await client.call('submitJob', { job: group[0] })).jobId] : (await client.call('submitJobs', { jobs: group })).results.map((r) => r.jobId)),
            giveUpAt,
            retries,
          );
          if (ids === null) unacknowledged += group.length;
          else ids.forEach((id, k) => acknowledged.set(group[k].idempotencyKey, id));
        }
      }
    };

    // Faults: one of each kind first (in a seeded order), then any kind, the master less often.
    const faultRng = new Prng(SEED);
    const faultLog: string[] = [];
    const inject = async () => {
      const kinds: readonly Fault[] = netns ? FAULTS : PROCESS_FAULTS;
      // The partition comes last in the first round: it lasts longer than the short setting's faults.
      const order: Fault[] = kinds.filter((k) => k !== 'net-partition').sort(() => faultRng.next() - 0.5);
      if (netns) order.push('net-partition');
      const masterFaults: Fault[] = ['master-kill', 'master-stop'];
      const others = kinds.filter((k) => !masterFaults.includes(k));
      while (Date.now() < endAt) {
        await delay(faultRng.int(FAULT_EVERY_MS / 2, (FAULT_EVERY_MS * 3) / 2));
        if (Date.now() >= endAt) break;
        const fault: Fault = order.shift() ?? (faultRng.chance(MASTER_SHARE) ? faultRng.pick(masterFaults) : faultRng.pick(others));
        const what = await cluster.inject(fault, faultRng);
        // A fault skipped because another of its kind was on comes again later in the first round.
        if (/skipped \((a network fault is on|master restarting)\)/.test(what) && order.length > 0) order.push(fault);
        faultLog.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${what}`);
      }
    };

    // Clients that go away: result waits of an hour, cancelled after a moment; watchers that stop
    // reading (reopened when a master restart closes them). The master's RSS must not grow.
    const clientRng = new Prng(SEED * 7 + 1);
    const clientFaults = { abandonedWaits: 0, stalledWatchers: 0 };
    const watchers: StalledWatcher[] = [];
    const misbehave = async () => {
      const ids = () => [...acknowledged.values()];
      while (Date.now() < endAt) {
        await delay(clientRng.int(200, 600));
        for (let i = watchers.length - 1; i >= 0; i--) if (watchers[i].closed()) watchers.splice(i, 1);
        while (watchers.length < STALLED_WATCHERS) {
          watchers.push(stalledWatcher(cluster.address));
          clientFaults.stalledWatchers++;
        }
        const known = ids();
        if (known.length === 0) continue;
        const calls: ClientUnaryCall[] = [];
        for (let k = clientRng.int(1, 3); k > 0; k--) {
          const request = GetJobResultRequest.fromPartial({ jobId: clientRng.pick(known), wait: true, waitTimeoutMs: 3_600_000 });
          calls.push(client.raw.getJobResult(request, new Metadata(), { deadline: Date.now() + 3_600_000 }, () => undefined));
          clientFaults.abandonedWaits++;
        }
        setTimeout(() => calls.forEach((c) => c.cancel()), clientRng.int(20, 1_500));
      }
    };

    await Promise.all([inject(), misbehave(), ...Array.from({ length: PRODUCERS }, (_, p) => produce(p))]);
    const producedIn = Date.now() - started;

    // When the faults stop, everything comes back and the backlog drains.
    await cluster.restore();
    const drainStart = Date.now();
    await waitFor(
      async () => {
        const { counts } = await client.call('getStats', {});
        const open = counts.filter((c) => NON_TERMINAL.includes(c.status)).reduce((n, c) => n + Number(c.count), 0);
        const total = counts.reduce((n, c) => n + Number(c.count), 0);
        return open === 0 && total >= acknowledged.size;
      },
      'every job to reach a terminal state',
      DRAIN_MS,
      250,
    ).catch((error: Error) => faultLog.push(`drain: ${error.message}`));
    const drainMs = Date.now() - drainStart;
    for (const w of watchers) w.close();
    client.close();
    const healthyDead = cluster.healthyDeclaredDead();
    await cluster.stop();
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
    const rssGrowth = cluster.rss.map((r) => ({ ...r, growth: r.peak - r.start }));

    // Then the judge reads the store and the execution logs.
    const verdict = judge(cluster.db, acknowledged, readExecutions(cluster.logs));
    const f = cluster.faults;
    const text = report(verdict, {
      faults: `master SIGKILL+restart ${f['master-kill']}, master SIGSTOP/SIGCONT ${f['master-stop']}, worker SIGKILL+restart ${f['worker-kill']}, worker SIGSTOP/SIGCONT ${f['worker-stop']} (${f['worker-stop-long']} past the heartbeat timeout), worker SIGTERM+restart ${f['worker-restart']}`,
      network: netns ? `delay ${f['net-delay']}, loss ${f['net-loss']}, partition ${f['net-partition']} (${PARTITION_MS / 1000} s)` : `not run: ${netnsProblem}`,
      clients: `${clientFaults.abandonedWaits} abandoned result waits, ${clientFaults.stalledWatchers} stalled watchers opened (${STALLED_WATCHERS} kept open at a time)`,
      'master RSS (MiB, per process: start -> peak, end)': rssGrowth.map((r) => `${mib(r.start)} -> ${mib(r.peak)}, ${mib(r.last)}`).join('; '),
      'healthy workers declared dead': healthyDead.length === 0 ? 'none' : healthyDead.join(', '),
      producers: `${producedIn} ms, ${retries.n} submit retries, ${unacknowledged} jobs never acknowledged (not counted)`,
      drain: `${drainMs} ms after the last fault`,
    });
    // eslint-disable-next-line no-console
    console.log(`${text}\n  fault log (first 40): ${faultLog.slice(0, 40).join(' | ')}`);

    expect(f['master-kill'] + f['worker-kill'] + f['worker-stop'] + f['worker-restart'] + f['master-stop'], 'faults injected').toBeGreaterThanOrEqual(Math.min(4, Math.floor(DURATION_MS / FAULT_EVERY_MS / 2)));
    if (netns) expect(NET_FAULTS.reduce((n, k) => n + f[k], 0), 'network faults injected').toBeGreaterThanOrEqual(2);
    if (netns && DURATION_MS >= 12_000) expect(f['net-partition'], 'partitions').toBeGreaterThanOrEqual(1);
    expect(healthyDead, 'healthy workers declared dead').toEqual([]);
    for (const r of rssGrowth) expect(r.growth, `master ${r.pid} RSS grew ${mib(r.growth)} MiB (${mib(r.start)} -> ${mib(r.peak)})`).toBeLessThanOrEqual(RSS_GROWTH_LIMIT);
    expect(verdict.acknowledged, 'jobs acknowledged').toBeGreaterThan(0);
    expect(verdict.violations).toEqual({ terminal: [], lost: [], phantom: [], oneResult: [], lateResult: [], executions: [] });
  });
});
