// Producer process of the scenarios, the same shapes as the peer harness's producer:
//   bulk:   submitMany() calls of `chunk` jobs (the client's bulk API), one after another;
//   single: `concurrency` callers, each awaiting one submit at a time, through the client's
//           submit() (which coalesces concurrent submits into one call) or, with
//           `coalesce: false`, one SubmitJob call per job;
//   rate:   an open loop of `rate` jobs/s: job k is due at t0 + k/rate and is not awaited
//           before the next one goes out.
// Each job is a no-op whose payload is { i, ts }, ts being the wall clock just before its call.
// `warmup`: that many jobs, flagged { w: 1 }, go first, the same way, untimed (bulk, single) or at
// the same rate before the measured ones (rate); the worker tap leaves them out of every figure.
// Started by scenarios.mjs with fork(); argv[2] = JSON { address, mode, n, warmup, concurrency, chunk, rate, coalesce }.
import { MasterClient, nowMs, summarize } from './common.mjs';

const args = JSON.parse(process.argv[2]);
const client = new MasterClient({ address: args.address, timeoutMs: 30_000 });
const WARMUP = args.warmup ?? 0;
const spec = (i, ts, warm = false) => ({ type: 'noop', payload: Buffer.from(JSON.stringify(warm ? { i, ts, w: 1 } : { i, ts })), contentType: 'application/json' });
const add = args.coalesce === false ? (job) => client.call('submitJob', { job }) : (job) => client.submit(job);

async function bulkOf(n, warm) {
  for (let i = 0; i < n; i += args.chunk) {
    const ts = nowMs();
    const jobs = [];
    for (let j = i; j < Math.min(n, i + args.chunk); j++) jobs.push(spec(j, ts, warm));
    await client.submitMany(jobs);
  }
}

async function bulk() {
  if (WARMUP) await bulkOf(WARMUP, true);
  const t0 = nowMs();
  await bulkOf(args.n, false);
  return { enqueueMs: nowMs() - t0, sent: args.n };
}

async function singleOf(n, warm) {
  let next = 0;
  const caller = async () => {
    while (next < n) {
      const i = next++;
      await add(spec(i, nowMs(), warm));
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, caller));
}

async function single() {
  if (WARMUP) await singleOf(WARMUP, true);
  const t0 = nowMs();
  await singleOf(args.n, false);
  return { enqueueMs: nowMs() - t0, sent: args.n };
}

async function rate() {
  const interval = 1000 / args.rate;
  const addLat = [];
  const pending = new Set();
  let sent = 0;
  let errors = 0;
  let inflight = 0;
  let maxInflight = 0;
  const total = args.n + WARMUP;
  const t0 = nowMs();
  let tMeasured = t0;
  await new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor((nowMs() - t0) / interval) + 1);
      while (sent < due) {
        const i = sent++;
        const warm = i < WARMUP;
        if (i === WARMUP) tMeasured = nowMs();
        const ts = nowMs();
        inflight++;
        if (inflight > maxInflight) maxInflight = inflight;
        const p = add(spec(i, ts, warm)).then(
          () => {
            if (!warm) addLat.push(nowMs() - ts);
          },
          (e) => {
            if (errors++ < 5) console.error('[submit error]', e.message);
          },
        ).finally(() => {
          inflight--;
          pending.delete(p);
        });
        pending.add(p);
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const issued = nowMs();
  await Promise.all([...pending]);
  const measured = sent - WARMUP;
  return { enqueueMs: issued - tMeasured, sent: measured, errors, maxInflight, achievedRate: measured / ((issued - tMeasured) / 1000), addLat: summarize(addLat) };
}

process.on('message', async (m) => {
  if (m.type !== 'go') return;
  const res = await { bulk, single, rate }[args.mode]();
  const c = process.cpuUsage();
  process.send({ type: 'done', ...res, cpuTicks: (c.user + c.system) / 1e4 });
  client.close();
  process.exit(0);
});
// Connected before the clock starts, as the peer harness's producers are (BullMQ: waitUntilReady).
await client.waitForReady();
process.send({ type: 'ready' });
