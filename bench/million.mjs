// Master memory over a long run: 1,000,000 no-op jobs through `nucleus master` and one
// `nucleus worker` (concurrency 64), offered by `nucleus bench` as a steady open loop (default
// 5,000 jobs/s in SubmitJobs of 100) so that the backlog stays small and any growth in the
// master's RSS comes from what it keeps per processed job, not from a queue it must hold.
// Finished jobs stay in the store (default retention 7 days), so the store grows throughout.
// Samples the master's RSS every second and reports it at the start (idle), after 10%, at the
// middle, at the end, and 10 s after the end.
//
//   node bench/million.mjs [--jobs 1000000] [--rate 5000] [--batch 100]
import fs from 'node:fs';
import { BIN, argv, machine, sleep, spawnCli, statusKb, writeResults, fmt } from './lib/common.mjs';
import { startMaster, startWorker, tempStore, waitForWorkers } from './lib/cluster.mjs';

const o = argv({ jobs: 1_000_000, rate: 5000, batch: 100 });
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}] million:`, ...a);
const store = tempStore();
const m = await startMaster({ db: store.db });
const worker = startWorker(m.address, { concurrency: 64 });
await waitForWorkers(m.client);
await sleep(2000);
const rssMiB = (pid) => statusKb(pid, 'VmRSS') / 1024;
const series = [];
const marks = {};
const sample = async (label) => {
  const s = await m.client.call('getStats', {});
  const point = { t: Date.now(), finished: Number(s.finishedTotal), submitted: Number(s.submittedTotal), masterRssMiB: rssMiB(m.proc.pid), workerRssMiB: rssMiB(worker.pid), dbMiB: dbSize() };
  series.push(point);
  if (label) marks[label] = point;
  return point;
};
const dbSize = () => ['', '-wal'].reduce((a, suffix) => a + (fs.existsSync(store.db + suffix) ? fs.statSync(store.db + suffix).size : 0), 0) / 2 ** 20;

await sample('start');
log(`start: master RSS ${fmt(marks.start.masterRssMiB)} MiB; offering ${fmt(o.jobs)} jobs at ${fmt(o.rate)}/s`);
const bench = spawnCli(['bench', '--master', m.address, '--jobs', String(o.jobs), '--rate', String(o.rate), '--batch', String(o.batch), '--json']);
const t0 = Date.now();
while (bench.child.exitCode === null) {
  await sleep(1000);
  if (bench.child.exitCode !== null) break;
  const p = await sample();
  if (!marks.tenth && p.finished >= o.jobs / 10) marks.tenth = p;
  if (!marks.middle && p.finished >= o.jobs / 2) marks.middle = p;
  if (series.length % 10 === 0) log(`${fmt(p.finished)} finished, master RSS ${fmt(p.masterRssMiB)} MiB, worker RSS ${fmt(p.workerRssMiB)} MiB, store ${fmt(p.dbMiB)} MiB`);
}
await bench.exited;
await sample('end');
await sleep(10_000);
await sample('settled');
const report = JSON.parse(bench.stdout());
const peak = Math.max(...series.map((p) => p.masterRssMiB));
m.client.close();
await worker.stop();
await m.proc.stop();
store.remove();

const out = { machine: machine(), startedAt: new Date(t0).toISOString(), params: o, wallSec: (Date.now() - t0) / 1000, marks, peakMasterRssMiB: peak, bench: report, series };
const row = (label, p) => `| ${label} | ${fmt(p.finished)} | ${fmt(p.masterRssMiB, 1)} | ${fmt(p.workerRssMiB, 1)} | ${fmt(p.dbMiB)} |`;
const md = [
  `# Master memory over ${fmt(o.jobs)} jobs (${out.startedAt})`,
  '',
  `Machine: ${out.machine.cpus} cores, Node ${out.machine.node}. \`nucleus master\` (defaults) + one \`nucleus worker --concurrency 64\`; load: \`nucleus bench --rate ${o.rate} --batch ${o.batch}\`. Took ${fmt(out.wallSec)} s; completed ${fmt(report.completion?.completed)} of ${fmt(o.jobs)}; submit->completed p50 ${fmt(report.completion?.latencyMs.p50, 1)} ms, p99 ${fmt(report.completion?.latencyMs.p99, 1)} ms (seen via WatchEvents).`,
  '',
  '| point | jobs finished | master RSS MiB | worker RSS MiB | store on disk MiB |',
  '|---|---|---|---|---|',
  row('start (idle)', marks.start),
  marks.tenth && row('10%', marks.tenth),
  marks.middle && row('middle', marks.middle),
  row('end', marks.end),
  row('10 s after the end', marks.settled),
  '',
  `Peak master RSS over the run: ${fmt(peak, 1)} MiB.`,
  '',
].filter((l) => typeof l === 'string').join('\n');
writeResults('nucleus-million', out, md);
console.log(md);
void BIN;
process.exit(0);
