/**
 * Chaos: a real master process, worker processes and producers in this process, with faults at
 * random moments (see chaos-cluster.ts), then a check of every guarantee (see invariants.ts).
 *
 * Runs in CI in its short form (about 15 s of faults). Run it alone, longer, with:
 *
 *   npm run build && CHAOS_SEED=42 CHAOS_DURATION=5m CHAOS_RATE=300 npx vitest run test/chaos
 *
 * Settings (environment): CHAOS_SEED (replays a schedule), CHAOS_DURATION (faults and production,
 * default 15s), CHAOS_RATE (jobs submitted per second, default 120), CHAOS_WORKERS (default 4),
 * CHAOS_CONCURRENCY (slots per worker, default 8), CHAOS_FAULT_EVERY (mean gap between faults,
 * default 1s), CHAOS_MASTER_SHARE (share of faults that kill the master, default 0.15), CHAOS_DRAIN
 * (how long the backlog may take to finish afterwards, default 60s), CHAOS_KEEP (keep the run's
 * directory: store and execution logs).
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
import { ChaosCluster, FAULTS, type Fault } from './chaos-cluster.js';
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
const PRODUCERS = 6;
const BATCH = 10;
const NON_TERMINAL = [JobStatus.JOB_STATUS_QUEUED, JobStatus.JOB_STATUS_SCHEDULED, JobStatus.JOB_STATUS_RUNNING, JobStatus.JOB_STATUS_RETRYING];

const dir = tempDir('nucleus-chaos-');
afterAll(async () => {
  await killAll();
  if (!process.env.CHAOS_KEEP) dir.cleanup();
});

/**
 * Most jobs take a few ms; some run long enough to be caught by a graceful restart (given back
 * past the 1 s grace) or a master crash; a few outlive their 1 s timeout on the first attempt.
 */
function jobShape(rng: Prng): { payload: { sleepMs: number; firstSleepMs?: number }; timeoutMs: number } {
  const roll = rng.next();
  if (roll < 0.03) return { payload: { sleepMs: 5, firstSleepMs: 1_500 }, timeoutMs: 1_000 };
  if (roll < 0.08) return { payload: { sleepMs: rng.int(500, 2_500) }, timeoutMs: 10_000 };
  return { payload: { sleepMs: rng.int(2, 40) }, timeoutMs: 1_000 };
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
  it(`given a master, ${WORKERS} workers and producers, when masters and workers are killed, stopped and restarted at random for ${DURATION_MS / 1000} s (seed ${SEED}), then every guarantee holds`, { timeout: DURATION_MS + DRAIN_MS + 90_000 }, async () => {
    const cluster = new ChaosCluster(dir.path, WORKERS, CONCURRENCY);
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
        const ids = await untilAcknowledged(
          async () => (size === 1 ? [(await client.call('submitJob', { job: specs[0] })).jobId] : (await client.call('submitJobs', { jobs: specs })).results.map((r) => r.jobId)),
          giveUpAt,
          retries,
        );
        if (ids === null) unacknowledged += size;
        else ids.forEach((id, k) => acknowledged.set(specs[k].idempotencyKey, id));
      }
    };

    // Faults: one of each kind first (in a seeded order), then any kind, the master less often.
    const faultRng = new Prng(SEED);
    const faultLog: string[] = [];
    const inject = async () => {
      const order = [...FAULTS].sort(() => faultRng.next() - 0.5);
      while (Date.now() < endAt) {
        await delay(faultRng.int(FAULT_EVERY_MS / 2, (FAULT_EVERY_MS * 3) / 2));
        if (Date.now() >= endAt) break;
        const fault: Fault = order.shift() ?? (faultRng.chance(MASTER_SHARE) ? 'master-kill' : faultRng.pick(FAULTS.slice(1)));
        faultLog.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${await cluster.inject(fault, faultRng)}`);
      }
    };

    await Promise.all([inject(), ...Array.from({ length: PRODUCERS }, (_, p) => produce(p))]);
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
    client.close();
    await cluster.stop();

    // Then the judge reads the store and the execution logs.
    const verdict = judge(cluster.db, acknowledged, readExecutions(cluster.logs));
    const f = cluster.faults;
    const text = report(verdict, {
      faults: `master SIGKILL+restart ${f['master-kill']}, worker SIGKILL+restart ${f['worker-kill']}, worker SIGSTOP/SIGCONT ${f['worker-stop']} (${f['worker-stop-long']} past the heartbeat timeout), worker SIGTERM+restart ${f['worker-restart']}`,
      producers: `${producedIn} ms, ${retries.n} submit retries, ${unacknowledged} jobs never acknowledged (not counted)`,
      drain: `${drainMs} ms after the last fault`,
    });
    // eslint-disable-next-line no-console
    console.log(`${text}\n  fault log (first 40): ${faultLog.slice(0, 40).join(' | ')}`);

    expect(f['master-kill'] + f['worker-kill'] + f['worker-stop'] + f['worker-restart'], 'faults injected').toBeGreaterThanOrEqual(Math.min(4, Math.floor(DURATION_MS / FAULT_EVERY_MS / 2)));
    expect(verdict.acknowledged, 'jobs acknowledged').toBeGreaterThan(0);
    expect(verdict.violations).toEqual({ terminal: [], lost: [], phantom: [], oneResult: [], lateResult: [], executions: [] });
  });
});
