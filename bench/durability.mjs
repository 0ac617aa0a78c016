// What an acknowledged submit survives, and what each --sync setting costs.
//
// For --sync normal (the default: SQLite WAL, synchronous=NORMAL) and --sync full:
//   1. submit rates: 1,000 submits one at a time (each awaited); 20,000 by 64 concurrent callers
//      (client submit(), coalescing); 20,000 in SubmitJobs of 1,000;
//   2. SIGKILL after awaited submits: 1,000 awaited SubmitJob calls, then `kill -9` of the master,
//      restart on the same store, count the jobs (the peer harness's durability check);
//   3. SIGKILL under load: 64 concurrent callers submitting for 1 s, `kill -9` of the master in
//      the middle of it, restart, and look up every acknowledged job id.
// `kill -9` leaves the OS page cache intact, so none of this tests power loss; see README.md.
//
//   node bench/durability.mjs [--n 1000] [--rate-n 20000]
import { argv, machine, nowMs, sleep, writeResults, fmt } from './lib/common.mjs';
import { counts, startMaster, tempStore } from './lib/cluster.mjs';

const o = argv({ n: 1000, 'rate-n': 20_000 });
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}] durability:`, ...a);
const job = (i) => ({ type: 'noop', payload: Buffer.from(JSON.stringify({ i })), contentType: 'application/json' });

async function rates(sync) {
  const store = tempStore();
  const m = await startMaster({ db: store.db, sync });
  try {
    let t = nowMs();
    for (let i = 0; i < o.n; i++) await m.client.call('submitJob', { job: job(i) });
    const sequential = o.n / ((nowMs() - t) / 1000);
    let next = 0;
    t = nowMs();
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (next < o['rate-n']) await m.client.submit(job(next++));
    }));
    const single64 = o['rate-n'] / ((nowMs() - t) / 1000);
    t = nowMs();
    for (let i = 0; i < o['rate-n']; i += 1000) await m.client.call('submitJobs', { jobs: Array.from({ length: 1000 }, (_, k) => job(i + k)) });
    const bulk = o['rate-n'] / ((nowMs() - t) / 1000);
    log(`sync ${sync}: awaited one at a time ${fmt(sequential)}/s, 64 concurrent ${fmt(single64)}/s, bulk ${fmt(bulk)}/s`);
    return { sequential, single64, bulk };
  } finally {
    m.client.close();
    await m.proc.stop();
    store.remove();
  }
}

async function killAfterAwaited(sync) {
  const store = tempStore();
  let m = await startMaster({ db: store.db, sync });
  let acked = 0;
  for (let i = 0; i < o.n; i++) {
    await m.client.call('submitJob', { job: job(i) });
    acked++;
  }
  m.proc.child.kill('SIGKILL');
  await m.proc.exited;
  m.client.close();
  m = await startMaster({ db: store.db, sync });
  const found = (await counts(m.client)).total;
  m.client.close();
  await m.proc.stop();
  store.remove();
  log(`sync ${sync}: ${acked} awaited submits, kill -9, restart: ${found} found`);
  return { acked, found };
}

async function killUnderLoad(sync) {
  const store = tempStore();
  let m = await startMaster({ db: store.db, sync });
  const ackedIds = [];
  let stop = false;
  let errors = 0;
  let i = 0;
  const callers = Array.from({ length: 64 }, async () => {
    while (!stop) {
      try {
        ackedIds.push((await m.client.submit(job(i++))).jobId);
      } catch {
        errors++;
        await sleep(5);
      }
    }
  });
  await sleep(1000);
  m.proc.child.kill('SIGKILL');
  await m.proc.exited;
  stop = true;
  await Promise.all(callers);
  m.client.close();
  m = await startMaster({ db: store.db, sync });
  let missing = 0;
  for (let k = 0; k < ackedIds.length; k += 64) {
    await Promise.all(ackedIds.slice(k, k + 64).map((jobId) => m.client.call('getJobStatus', { jobId }).catch(() => missing++)));
  }
  const total = (await counts(m.client)).total;
  m.client.close();
  await m.proc.stop();
  store.remove();
  log(`sync ${sync}: ${ackedIds.length} acknowledged under load before kill -9 (${errors} calls failed by the kill); after restart ${missing} missing, ${total} jobs stored`);
  return { acked: ackedIds.length, missing, stored: total, failedCalls: errors };
}

const out = { machine: machine(), startedAt: new Date().toISOString(), n: o.n, rateN: o['rate-n'], results: {} };
for (const sync of ['normal', 'full']) {
  out.results[sync] = { rates: await rates(sync), awaited: await killAfterAwaited(sync), underLoad: await killUnderLoad(sync) };
}
const r = out.results;
const md = [
  `# Nucleus durability and the cost of --sync (${out.startedAt})`,
  '',
  `Machine: ${out.machine.cpus} cores, Node ${out.machine.node}. One run each; the producer is this script, the master a separate \`nucleus master\` process.`,
  '',
  '| --sync | submits/s, awaited one at a time | submits/s, 64 concurrent callers | submits/s, bulk 1,000 | kill -9 after awaited submits: found / acked | kill -9 under load: missing / acked |',
  '|---|---|---|---|---|---|',
  ...['normal', 'full'].map((s) => `| ${s}${s === 'normal' ? ' (default)' : ''} | ${fmt(r[s].rates.sequential)} | ${fmt(r[s].rates.single64)} | ${fmt(r[s].rates.bulk)} | ${r[s].awaited.found} / ${r[s].awaited.acked} | ${r[s].underLoad.missing} / ${fmt(r[s].underLoad.acked)} |`),
  '',
].join('\n');
writeResults('nucleus-durability', out, md);
console.log(md);
process.exit(0);
