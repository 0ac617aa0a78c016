// The side-by-side table: Nucleus (scenarios.mjs results, both deployments) against a peer
// measured by the peer harness in the same sitting, with the ratios the performance bar asks for.
//
//   node bench/compare.mjs --peer <bullmq-default.json> --nucleus <procs.json>,<inproc.json> [--durability <file.json>]
//        [--cold <cold-start-bullmq.json>,<cold-start-nucleus-procs.json>,...]
// Writes bench/results/<stamp>-comparison.md and prints it. The bars are issue 24's, for systems
// warmed alike (--warmup); a warm-up that differs between the peer and Nucleus is called out.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, argv, minMedianMax, writeResults, fmt, f1, mmm } from './lib/common.mjs';

const o = argv({ peer: '', nucleus: '', durability: '', cold: '' });
if (!o.peer || !o.nucleus) {
  console.error('usage: node bench/compare.mjs --peer <peer.json> --nucleus <a.json>[,<b.json>] [--durability <file.json>] [--cold <a.json>[,<b.json>]]');
  process.exit(2);
}
const read = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
const peer = read(o.peer);
const nucleus = o.nucleus.split(',').map(read);

/** Worker RSS during A: the peak over both enqueue modes of a run, median over runs (as the peer report does). */
function workerRss(r) {
  const runs = [...new Set(r.A.map((x) => x.run))];
  const of = (x) => (r.peer === 'nucleus' ? x.mem.peakRssMiB.worker ?? x.mem.peakRssMiB.dev : x.mem.worker.rssKb / 1024);
  return minMedianMax(runs.map((run) => Math.max(...r.A.filter((x) => x.run === run).map(of))));
}
function serverRss(r) {
  const runs = [...new Set(r.A.map((x) => x.run))];
  const of = (x) => (r.peer === 'nucleus' ? x.mem.peakRssMiB.master ?? x.mem.peakRssMiB.dev : (x.mem.server?.mainRssKb ?? NaN) / 1024);
  return minMedianMax(runs.map((run) => Math.max(...r.A.filter((x) => x.run === run).map(of))));
}

const rows = [
  { name: 'enqueue, one job per call, 64 concurrent callers (jobs/s)', get: (r) => r.aggregate.A_single?.enqueuePerSec, bar: 2.5, higher: true },
  { name: 'enqueue, bulk in chunks of 1,000 (jobs/s)', get: (r) => r.aggregate.A_bulk?.enqueuePerSec, bar: 6, higher: true },
  { name: 'drain 20,000 bulk-enqueued jobs, one worker process, concurrency 64 (jobs/s)', get: (r) => r.aggregate.A_bulk?.processPerSec, bar: 3, higher: true },
  { name: 'drain 20,000 single-enqueued jobs (jobs/s)', get: (r) => r.aggregate.A_single?.processPerSec, higher: true },
  { name: 'submit->completed at 500 jobs/s, p50 (ms)', get: (r) => r.aggregate.B?.ack_p50, abs: 0.5, f: f1 },
  { name: 'submit->completed at 500 jobs/s, p95 (ms)', get: (r) => r.aggregate.B?.ack_p95, f: f1 },
  { name: 'submit->completed at 500 jobs/s, p99 (ms)', get: (r) => r.aggregate.B?.ack_p99, abs: 2, f: f1 },
  { name: 'worker process RSS during A (MiB)', get: workerRss, abs: 80, f: f1 },
  { name: 'server RSS during A (MiB): Redis / Nucleus master', get: serverRss, abs: 100, f: f1 },
];

const ratio = (n, p, higher) => (Number.isFinite(n) && Number.isFinite(p) && p > 0 ? (higher ? n / p : p / n) : NaN);
const verdict = (row, n, p) => {
  if (row.bar) return ratio(n, p, true) >= row.bar ? `yes (>= ${row.bar}x)` : `no (needs ${row.bar}x)`;
  if (row.abs !== undefined) return n <= row.abs ? `yes (<= ${row.abs})` : `no (needs <= ${row.abs})`;
  return '';
};
const warmupOf = (r) => r.params?.warmup ?? r.settings?.warmup ?? 0;
const warmed = (n) => (n ? `--warmup ${n}` : 'cold');
const label = (r) => `Nucleus ${r.settings.deployment}${r.settings.sync !== 'normal' ? `, sync ${r.settings.sync}` : ''}, ${warmed(warmupOf(r))}`;
const head = ['measure', `${peer.peer} ${peer.version}`, ...nucleus.flatMap((r) => [label(r), 'ratio', 'bar met']), ''];
const lines = [
  `# Nucleus vs ${peer.peer}, same machine, same sitting`,
  '',
  `${peer.peer} (${warmed(warmupOf(peer))}): started ${peer.startedAt}, ${peer.params.runs} runs. ` + nucleus.map((r) => `${label(r)}: started ${r.startedAt}, ${r.params.runs} runs`).join('; ') + '.',
  ...(nucleus.some((r) => warmupOf(r) !== warmupOf(peer)) ? [`**Not warmed alike**: ${peer.peer} ${warmed(warmupOf(peer))}, ${nucleus.map((r) => `${label(r)}`).join(', ')}; the ratios do not compare like with like.`] : []),
  `Code: ${nucleus.map((r) => r.machine.code ? `${label(r)} at ${r.machine.code.commit}${r.machine.code.srcChanged ? ' (with uncommitted changes in src)' : ''}, dist built ${r.machine.code.distBuiltAt}` : '').filter(Boolean).join('; ') || 'not recorded'}.`,
  `Machine: ${nucleus[0].machine.cpus} cores (${nucleus[0].machine.cpuModel}), Node ${nucleus[0].machine.node}. Figures are median (min–max) of runs; ratios compare medians, as multiples of ${peer.peer} (for latencies and memory: ${peer.peer} / Nucleus, so above 1 is better).`,
  '',
  `| ${head.slice(0, -1).join(' | ')} |`,
  `|${head.slice(0, -1).map(() => '---').join('|')}|`,
];
for (const row of rows) {
  const p = row.get(peer);
  const cells = [row.name, mmm(p, row.f ?? fmt)];
  for (const r of nucleus) {
    const n = row.get(r);
    const x = ratio(n?.median, p?.median, row.higher);
    cells.push(mmm(n, row.f ?? fmt), Number.isFinite(x) ? `${x.toFixed(2)}x` : '–', n?.n ? verdict(row, n.median, p?.median) : '');
  }
  lines.push(`| ${cells.join(' | ')} |`);
}
const contamination = [peer, ...nucleus].map((r) => {
  const steps = [...r.A, ...r.B];
  const max = Math.max(0, ...steps.map((x) => x.cpu?.foreignBusyPct ?? 0));
  const flagged = steps.filter((x) => x.contaminated).length;
  return `${r.peer === 'nucleus' ? label(r) : r.peer}: other processes used at most ${fmt(max)}% CPU in a kept step${flagged ? `, ${flagged} step(s) flagged` : ''}`;
});
lines.push('', `Contamination: ${contamination.join('; ')}.`, '');
if (o.durability) {
  const d = read(o.durability);
  const r = d.results;
  lines.push(
    '## Durability and the cost of --sync',
    '',
    '| --sync | submits/s awaited one at a time | submits/s, 64 concurrent callers | submits/s, bulk 1,000 | kill -9 after awaited submits: found / acked | kill -9 under load: missing / acked |',
    '|---|---|---|---|---|---|',
    ...['normal', 'full'].map((s) => `| ${s}${s === 'normal' ? ' (default)' : ''} | ${fmt(r[s].rates.sequential)} | ${fmt(r[s].rates.single64)} | ${fmt(r[s].rates.bulk)} | ${r[s].awaited.found} / ${r[s].awaited.acked} | ${r[s].underLoad.missing} / ${fmt(r[s].underLoad.acked)} |`),
    '',
  );
}
if (o.cold) {
  const cold = o.cold.split(',').map(read);
  lines.push(
    '## Cold start (apart from the table above)',
    '',
    `From the command to the first ${fmt(cold[0].params.n)} jobs done, every process fresh, a fresh store (bench/cold-start.mjs).`,
    '',
    '| system | command -> jobs done, ms | command -> accepting connections, ms | runs |',
    '|---|---|---|---|',
    ...cold.map((c) => `| ${c.variant} | ${mmm(c.aggregate.doneMs)} | ${mmm(c.aggregate.listeningMs)} | ${c.runs.length} |`),
    '',
  );
}
const md = lines.join('\n');
const files = writeResults('comparison', { peer: o.peer, nucleus: o.nucleus.split(','), durability: o.durability || null, cold: o.cold ? o.cold.split(',') : null }, md);
console.log(md);
console.error(`wrote ${path.relative(ROOT, files.md)}`);
