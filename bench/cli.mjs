// `nucleus bench --spawn` over a set of load shapes, for both deployments (inproc: everything,
// the load generator included, in one process; procs: master and worker as child processes),
// N runs each; median (min–max) per figure. Here the load generator also watches completions,
// so submitting and completing overlap (unlike scenario A, where the drain starts after the
// enqueue).
//
//   node bench/cli.mjs [--runs 3] [--deployments inproc,procs] [--shapes single,single-rpc,bulk,rate500,mix,fibonacci]
import { BIN, argv, machine, minMedianMax, spawnCli, writeResults, fmt, f1, mmm } from './lib/common.mjs';

const o = argv({ runs: 3, deployments: 'inproc,procs', shapes: 'single,single-rpc,bulk,rate500,mix,fibonacci' });
const SHAPES = {
  single: { what: '20,000 noop, 64 callers, submit() (coalescing)', args: ['--jobs', '20000', '--concurrency', '64'] },
  'single-rpc': { what: '20,000 noop, 64 callers, one SubmitJob call per job', args: ['--jobs', '20000', '--concurrency', '64', '--no-coalesce'] },
  bulk: { what: '20,000 noop, SubmitJobs of 1,000, one call at a time', args: ['--jobs', '20000', '--batch', '1000', '--concurrency', '1'] },
  rate500: { what: '10,000 noop at 500/s open loop, completion by result waits', args: ['--jobs', '10000', '--rate', '500', '--observe', 'results'] },
  mix: { what: '20,000 noop, 64 callers, mix 8:1:1 (submit:status:result)', args: ['--jobs', '20000', '--concurrency', '64', '--mix', '8:1:1'] },
  fibonacci: { what: '5,000 fibonacci(1000), 64 callers', args: ['--jobs', '5000', '--concurrency', '64', '--type', 'fibonacci'] },
};
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}] cli:`, ...a);
const out = { machine: machine(), startedAt: new Date().toISOString(), runs: o.runs, results: [] };
for (const deployment of o.deployments.split(',')) {
  for (const shape of o.shapes.split(',')) {
    const reports = [];
    for (let run = 1; run <= o.runs; run++) {
      const p = spawnCli(['bench', '--spawn', '--deployment', deployment, ...SHAPES[shape].args, '--json']);
      const exit = await p.exited;
      if (exit.code !== 0) {
        log(`${deployment}/${shape} run ${run} failed (${exit.code}): ${p.stderr().slice(-300)}`);
        continue;
      }
      const r = JSON.parse(p.stdout());
      reports.push(r);
      log(`${deployment}/${shape}: submit ${fmt(r.submit.jobsPerSec)}/s, completed ${fmt(r.completion?.jobsPerSec)}/s, ack p50 ${f1(r.submit.ackMs.p50)} ms, submit->completed p50 ${f1(r.completion?.latencyMs.p50)} p99 ${f1(r.completion?.latencyMs.p99)} ms`);
    }
    const agg = (get) => minMedianMax(reports.map(get));
    out.results.push({
      deployment, shape, what: SHAPES[shape].what, args: SHAPES[shape].args, runs: reports.length,
      submitPerSec: agg((r) => r.submit.jobsPerSec), completedPerSec: agg((r) => r.completion?.jobsPerSec ?? NaN),
      ackP50: agg((r) => r.submit.ackMs.p50), ackP99: agg((r) => r.submit.ackMs.p99),
      doneP50: agg((r) => r.completion?.latencyMs.p50 ?? NaN), doneP99: agg((r) => r.completion?.latencyMs.p99 ?? NaN),
      masterRss: agg((r) => r.memory.masterRssMiB ?? NaN), workerRss: agg((r) => r.memory.workerRssMiB ?? NaN), benchRss: agg((r) => r.memory.benchRssMiB),
      reports,
    });
  }
}
const md = [
  `# nucleus bench --spawn (${out.startedAt})`,
  '',
  `Machine: ${out.machine.cpus} cores, Node ${out.machine.node}. ${o.runs} runs per row, median (min–max). Latencies in ms; "done" is submit->completed as the bench saw it (events: through one WatchEvents stream; results: a GetJobResult wait per job).`,
  '',
  '| deployment | load | submit jobs/s | completed jobs/s | ack p50 / p99 | done p50 / p99 | peak RSS MiB (bench / master / worker) |',
  '|---|---|---|---|---|---|---|',
  ...out.results.map((r) => `| ${r.deployment} | ${r.what} | ${mmm(r.submitPerSec)} | ${mmm(r.completedPerSec)} | ${mmm(r.ackP50, f1)} / ${mmm(r.ackP99, f1)} | ${mmm(r.doneP50, f1)} / ${mmm(r.doneP99, f1)} | ${fmt(r.benchRss.median)} / ${fmt(r.masterRss.median)} / ${fmt(r.workerRss.median)} |`),
  '',
].join('\n');
for (const r of out.results) for (const rep of r.reports) delete rep.machine;
writeResults('nucleus-cli', out, md);
console.log(md);
void BIN;
process.exit(0);
