// Producer process of the scenarios, the same shapes as the peer harness's producer:
//   bulk:   submitMany() calls of `chunk` jobs (the client's bulk API), one after another;
//   single: `concurrency` callers, each awaiting one submit at a time, through the client's
//           submit() (which coalesces concurrent submits into one call) or, with
//           `coalesce: false`, one SubmitJob call per job;
//   rate:   an open loop of `rate` jobs/s: job k is due at t0 + k/rate and is not awaited
//           before the next one goes out.
// Each job is a no-op whose payload is { i, ts }, ts being the wall clock just before its call.
// Started by scenarios.mjs with fork(); argv[2] = JSON { address, mode, n, concurrency, chunk, rate, coalesce }.
import { MasterClient, nowMs, summarize } from './common.mjs';

const args = JSON.parse(process.argv[2]);
const client = new MasterClient({ address: args.address, timeoutMs: 30_000 });
const spec = (i, ts) => ({ type: 'noop', payload: Buffer.from(JSON.stringify({ i, ts })), contentType: 'application/json' });
const add = args.coalesce === false ? (job) => client.call('submitJob', { job }) : (job) => client.submit(job);

async function bulk() {
  const t0 = nowMs();
  for (let i = 0; i < args.n; i += args.chunk) {
    const ts = nowMs();
    const jobs = [];
    for (let j = i; j < Math.min(args.n, i + args.chunk); j++) jobs.push(spec(j, ts));
    await client.submitMany(jobs);
  }
  return { enqueueMs: nowMs() - t0, sent: args.n };
}

async function single() {
  let next = 0;
  const t0 = nowMs();
  const caller = async () => {
    while (next < args.n) {
      const i = next++;
      await add(spec(i, nowMs()));
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, caller));
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
  const t0 = nowMs();
  await new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(args.n, Math.floor((nowMs() - t0) / interval) + 1);
      while (sent < due) {
        const i = sent++;
        const ts = nowMs();
        inflight++;
        if (inflight > maxInflight) maxInflight = inflight;
        const p = add(spec(i, ts)).then(
          () => addLat.push(nowMs() - ts),
          (e) => {
            if (errors++ < 5) console.error('[submit error]', e.message);
          },
        ).finally(() => {
          inflight--;
          pending.delete(p);
        });
        pending.add(p);
      }
      if (sent >= args.n) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const issued = nowMs();
  await Promise.all([...pending]);
  return { enqueueMs: issued - t0, sent, errors, maxInflight, achievedRate: sent / ((issued - t0) / 1000), addLat: summarize(addLat) };
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
