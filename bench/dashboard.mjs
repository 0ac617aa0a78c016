// The dashboard's API on a big store: a store of 1,000,000 jobs (94% completed, 2% dead letter
// under 5 error messages, 1% failed, 2% queued in 4 queues, 1% scheduled), a `nucleus master`
// on it, and every call the pages make timed (30 runs after 3 warm-ups: median, p95, max in ms).
// Then the master's CPU over 30 s idle, without and with one dashboard's event stream open.
//
//   node bench/dashboard.mjs [--jobs 1000000] [--runs 30]
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, argv, machine, sleep, spawnCli, writeResults, fmt } from './lib/common.mjs';
import { freePort, tempStore } from './lib/cluster.mjs';

const { SqliteJobStore } = await import(path.join(ROOT, 'dist', 'store', 'sqlite-store.js'));
const o = argv({ jobs: 1_000_000, runs: 30 });
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}] dashboard:`, ...a);
const store = tempStore();

// 1. The store: inserted through the store itself, then statuses set in bulk (setup only).
const t0 = Date.now();
const s = new SqliteJobStore({ path: store.db, sync: 'normal' });
const queues = ['default', 'emails', 'reports', 'images'];
const now = Date.now();
for (let done = 0; done < o.jobs; done += 10_000) {
  const n = Math.min(10_000, o.jobs - done);
  s.insertJobs(
    Array.from({ length: n }, (_, i) => ({
      queue: queues[(done + i) % 4], type: (done + i) % 3 ? 'echo' : 'fibonacci', payload: Buffer.from(`{"n":${done + i}}`), contentType: 'application/json',
      priority: 0, maxRetries: 3, timeoutMs: 30_000, runAt: now - o.jobs + done + i, idempotencyKey: null, backoffBaseMs: 1000, backoffCapMs: 60_000,
    })),
    now,
    0,
  );
}
s.close();
const db = new Database(store.db);
db.exec(`UPDATE jobs SET status = CASE
    WHEN id % 100 < 94 THEN 'completed' WHEN id % 100 < 96 THEN 'dead_letter' WHEN id % 100 = 96 THEN 'failed'
    WHEN id % 100 = 97 THEN 'scheduled' ELSE 'queued' END,
  error = CASE WHEN id % 100 IN (94, 95, 96) THEN 'Error: upstream ' || (id % 5) || ' refused the connection' END,
  finished_at = CASE WHEN id % 100 < 97 THEN created_at + 5 END,
  run_at = CASE WHEN id % 100 = 97 THEN created_at + 86400000 ELSE run_at END,
  attempt = CASE WHEN id % 100 < 97 THEN 1 ELSE 0 END, worker_id = CASE WHEN id % 100 < 97 THEN 'w' || (id % 8) END`);
db.close();
const dbMiB = fs.statSync(store.db).size / 2 ** 20;
log(`store of ${fmt(o.jobs)} jobs built in ${fmt((Date.now() - t0) / 1000)} s (${fmt(dbMiB)} MiB)`);

// 2. A master on it.
const httpPort = await freePort();
const master = spawnCli(['master', '--host', '127.0.0.1', '--port', '0', '--http-port', String(httpPort), '--db', store.db, '--log-level', 'warn', '--retention', '0']);
await master.line(/gRPC \S+:(\d+)/);
const base = `http://127.0.0.1:${httpPort}`;
const someDead = String(Math.floor(o.jobs / 100) * 100 - 5);
const calls = [
  ['overview: GET /v1/summary', '/v1/summary'],
  ['jobs: newest 50', '/v1/jobs?limit=50&newest_first=true'],
  ['jobs: next page (keyset)', null],
  ['jobs: status=dead_letter', '/v1/jobs?status=dead_letter&limit=50&newest_first=true'],
  ['jobs: queue=emails & type=echo', '/v1/jobs?queue=emails&type=echo&limit=50&newest_first=true'],
  ['jobs: status=completed & worker=w3', '/v1/jobs?status=completed&worker=w3&limit=50&newest_first=true'],
  ['jobs: dead_letter & error contains "upstream 3"', '/v1/jobs?status=dead_letter&error_contains=upstream%203&limit=50&newest_first=true'],
  ['job detail', `/v1/ui/jobs/${someDead}`],
  ['failed: GET /v1/errors dead_letter', '/v1/errors?status=dead_letter'],
  ['failed: GET /v1/errors failed,dead_letter', '/v1/errors?status=failed,dead_letter'],
  ['failed: count of one group', `/v1/jobs/count?status=dead_letter&error=${encodeURIComponent('Error: upstream 3 refused the connection')}`],
  ['count: every queued job', '/v1/jobs/count?status=queued'],
  ['count: every completed job (capped 1,000,000)', '/v1/jobs/count?status=completed'],
];
const first = await (await fetch(`${base}/v1/jobs?limit=50&newest_first=true`)).json();
calls[2][1] = `/v1/jobs?limit=50&newest_first=true&page_token=${first.nextPageToken}`;
const rows = [];
for (const [label, url] of calls) {
  const times = [];
  for (let i = 0; i < o.runs + 3; i++) {
    const t = performance.now();
    const r = await fetch(`${base}${url}`);
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`${url}: ${r.status}`);
    if (i >= 3) times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  rows.push({ label, url, medianMs: q(0.5), p95Ms: q(0.95), maxMs: times[times.length - 1] });
  log(`${label}: median ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms`);
}

// 3. CPU of the idle master: 30 s without a watcher, 30 s with one event stream open.
const ticks = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};
const cpu = async (ms) => {
  const a = ticks(master.child.pid);
  await sleep(ms);
  return ((ticks(master.child.pid) - a) / 100 / (ms / 1000)) * 100;
};
const idle = await cpu(30_000);
const controller = new AbortController();
const stream = await fetch(`${base}/v1/events`, { signal: controller.signal });
const reader = stream.body.getReader();
let bytes = 0;
(async () => {
  for (;;) {
    const { value, done } = await reader.read().catch(() => ({ done: true }));
    if (done) return;
    bytes += value.length;
  }
})();
const watched = await cpu(30_000);
controller.abort();
log(`master CPU idle ${idle.toFixed(2)}% of a core, with one dashboard watching ${watched.toFixed(2)}% (${fmt(bytes)} bytes streamed in 30 s)`);
await master.stop();
store.remove();

const out = { machine: machine(), startedAt: new Date(t0).toISOString(), params: o, storeMiB: dbMiB, calls: rows, cpuPercentOfCore: { idle, watched }, streamedBytes30s: bytes };
const md = [
  `# Dashboard API on ${fmt(o.jobs)} jobs (${out.startedAt})`,
  '',
  `Store ${fmt(dbMiB)} MiB; ${o.runs} runs of each call after 3 warm-ups, over loopback HTTP.`,
  '',
  '| page call | median ms | p95 ms | max ms |',
  '| --- | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.label} | ${r.medianMs.toFixed(1)} | ${r.p95Ms.toFixed(1)} | ${r.maxMs.toFixed(1)} |`),
  '',
  `Master CPU, idle: ${idle.toFixed(2)}% of a core; with one dashboard's event stream open: ${watched.toFixed(2)}% (${fmt(bytes)} bytes in 30 s).`,
  '',
];
writeResults('dashboard', out, md.join('\n'));
console.log(md.join('\n'));
