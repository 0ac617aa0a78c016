// Scenarios A, B and C of the peer harness, for Nucleus, with the same shapes and definitions, so
// that the figures sit side by side with BullMQ's measured in the same sitting:
//   A. enqueue 20,000 no-op jobs (single: 64 concurrent callers, one job per submit; bulk:
//      submitMany() of 1,000, one call after another), then drain them with one worker process at
//      concurrency 64. The enqueue rate is n / (first call .. last answer); the drain clock starts
//      when the queue is resumed and stops when the worker receives the master's ack of the
//      n-th result (the master acks after the completion is committed).
//   B. 500 jobs/s offered for 20 s (open loop) to an idle worker; latency from the producer's
//      clock just before the submit call to the ack in the worker; p50/p95/p99 over all jobs.
//   C. peak RSS of the worker process (and the master) during A, sampled every 100 ms.
// Producer, master and worker are separate processes (deployment procs), or the producer is
// separate and master and worker share one `nucleus dev` process (deployment inproc).
//
//   node bench/scenarios.mjs [--deployment procs|inproc] [--runs 3] [--scenarios A,B]
//        [--modes single,bulk] [--n 20000] [--chunk 1000] [--concurrency 64] [--rate 500]
//        [--duration 20] [--sync normal|full] [--coalesce on|off] [--metrics on|off] [--warmup N]
//        [--tag name] [--foreign-max 8] [--attempts 4] [--quiet-wait 30] [--quiet-pct 8]
// Run as root with `nice -n -15` like the peer harness (run-all.sh does).
// --warmup N: as the peer harness's option of that name: the producer sends N jobs first, the same
// way as the measured ones (bulk, single, or at the rate), and they are left out of every figure;
// the worker runs them before the measured ones, so master, producer and worker have all run N
// jobs before the clock starts and a process's JIT warm-up is not timed. In A the drain is then
// timed from the worker's first pick-up of a measured job (else from the queue's resume). Use the
// same N for every system compared.
import path from 'node:path';
import { ROOT, argv, forkScript, guarded, machine, minMedianMax, nowMs, sleep, Sampler, writeResults, mmm, f1, fmt } from './lib/common.mjs';
import { pause, startDev, startMaster, startWorker, tempStore, waitForWorkers } from './lib/cluster.mjs';

const o = argv({
  deployment: 'procs', runs: 3, scenarios: 'A,B', modes: 'single,bulk', n: 20_000, chunk: 1000, concurrency: 64, rate: 500, duration: 20,
  sync: 'normal', coalesce: 'on', metrics: 'on', warmup: 0, tag: '', 'foreign-max': 8, attempts: 4, 'quiet-wait': 30, 'quiet-pct': 8, 'drain-timeout': 180,
});
const PRODUCER = path.join(ROOT, 'bench', 'lib', 'producer.mjs');
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}] nucleus/${o.deployment}:`, ...a);
const guard = { foreignMax: o['foreign-max'], attempts: o.attempts, quietPct: o['quiet-pct'], quietWaitMs: o['quiet-wait'] * 1000, log };
if (o.deployment === 'inproc' && o.sync !== 'normal') throw new Error('--sync full needs --deployment procs (`nucleus dev` has no --sync)');

/** Master and (for inproc) worker, paused or not; `tapProc` is the process with the worker tap. */
async function cluster(paused) {
  const store = tempStore();
  const metrics = o.metrics === 'on';
  const c = o.deployment === 'inproc' ? await startDev({ db: store.db, concurrency: o.concurrency, metrics }) : await startMaster({ db: store.db, sync: o.sync, metrics });
  if (paused) await pause(c.client, true);
  return { ...c, store };
}

async function stopCluster(c, worker) {
  c.client.close();
  await worker?.stop();
  await c.proc.stop();
  c.store.remove();
}

async function produce(sampler, args) {
  const prod = forkScript(PRODUCER, args);
  sampler.add('producer', prod.pid);
  await prod.message('ready');
  prod.send({ type: 'go' });
  const res = await prod.message('done', 300_000);
  await prod.exited;
  sampler.finalTicks(prod.pid, res.cpuTicks + 5);
  sampler.remove('producer');
  return res;
}

async function scenarioA(mode) {
  const c = await cluster(true);
  const sampler = new Sampler(100);
  sampler.add(o.deployment === 'inproc' ? 'dev' : 'master', c.proc.pid);
  sampler.start();
  let worker = null;
  try {
    const enq = await produce(sampler, { address: c.address, mode, n: o.n, warmup: o.warmup, concurrency: o.concurrency, chunk: o.chunk, coalesce: o.coalesce === 'on' });
    let tap = c.proc;
    if (o.deployment === 'procs') {
      worker = startWorker(c.address, { concurrency: o.concurrency });
      sampler.add('worker', worker.pid);
      await waitForWorkers(c.client);
      tap = worker;
    }
    tap.send({ type: 'arm', expected: o.n, latency: false, warmup: o.warmup > 0 });
    await tap.message('armed');
    const resumedAt = nowMs();
    await pause(c.client, false);
    const drain = await tap.message('done', o['drain-timeout'] * 1000).catch(async () => {
      log(`A/${mode}: drain not finished after ${o['drain-timeout']} s; stopping (partial)`);
      tap.send({ type: 'finish' });
      return tap.message('done', 15_000);
    });
    if (worker) sampler.finalTicks(worker.pid, drain.cpuTicks);
    const { peakRssMiB, cpu } = sampler.stop();
    // With a warm-up the worker is running by the time it picks up the first measured job.
    const t0 = o.warmup > 0 && drain.tFirstAssignment ? drain.tFirstAssignment : resumedAt;
    const drainMs = drain.t1 - t0;
    const r = {
      mode,
      enqueueMs: enq.enqueueMs,
      enqueuePerSec: o.n / (enq.enqueueMs / 1000),
      drainMs,
      processPerSec: drain.acked / (drainMs / 1000),
      drainReason: drain.reason,
      acked: drain.acked,
      warmAcked: drain.warmAcked,
      firstPickupMs: drain.tFirstAssignment ? drain.tFirstAssignment - resumedAt : null,
      mem: { peakRssMiB, tapHwmMiB: drain.hwmKb / 1024 },
      cpu,
    };
    const workerRss = peakRssMiB.worker ?? peakRssMiB.dev;
    log(`A/${mode}: enqueue ${fmt(r.enqueuePerSec)}/s, drain ${fmt(r.processPerSec)}/s (${fmt(drainMs)} ms, ${r.acked} acked), worker RSS ${f1(workerRss)} MiB, master RSS ${f1(peakRssMiB.master ?? peakRssMiB.dev)} MiB; CPU machine ${fmt(cpu.machineBusyPct)}% foreign ${fmt(cpu.foreignBusyPct)}%`);
    return r;
  } finally {
    await stopCluster(c, worker);
  }
}

async function scenarioB() {
  const total = o.rate * o.duration;
  const c = await cluster(false);
  const sampler = new Sampler(200);
  let worker = null;
  try {
    let tap = c.proc;
    sampler.add(o.deployment === 'inproc' ? 'dev' : 'master', c.proc.pid);
    if (o.deployment === 'procs') {
      worker = startWorker(c.address, { concurrency: o.concurrency });
      sampler.add('worker', worker.pid);
      tap = worker;
    }
    await waitForWorkers(c.client);
    tap.send({ type: 'arm', expected: total, latency: true, warmup: o.warmup > 0 });
    await tap.message('armed');
    sampler.start();
    await sleep(1000); // the worker settles into its idle loop, as in the peer harness
    const pres = await produce(sampler, { address: c.address, mode: 'rate', n: total, warmup: o.warmup, rate: o.rate, coalesce: o.coalesce === 'on' });
    const wres = await tap.message('done', 30_000).catch(async () => {
      tap.send({ type: 'finish' });
      return tap.message('done', 10_000);
    });
    const { peakRssMiB, cpu } = sampler.stop();
    const r = {
      sent: pres.sent, producerErrors: pres.errors, achievedRate: pres.achievedRate, offeredMs: pres.enqueueMs, addLat: pres.addLat, maxInflightAdds: pres.maxInflight,
      acked: wres.acked, reason: wres.reason, handlerLat: wres.resultLat, ackLat: wres.ackLat, mem: { peakRssMiB }, cpu,
    };
    log(`B: offered ${fmt(r.achievedRate)}/s, acked ${r.acked}/${r.sent}; ack latency p50 ${r.ackLat.p50.toFixed(2)} p95 ${r.ackLat.p95.toFixed(2)} p99 ${r.ackLat.p99.toFixed(2)} ms; result sent p50 ${r.handlerLat.p50.toFixed(2)} ms; submit() p50 ${r.addLat.p50.toFixed(2)} ms; CPU machine ${fmt(cpu.machineBusyPct)}% foreign ${fmt(cpu.foreignBusyPct)}%`);
    return r;
  } finally {
    await stopCluster(c, worker);
  }
}

const variant = [o.deployment, o.sync !== 'normal' && `sync-${o.sync}`, o.warmup > 0 && `warmup${o.warmup}`, o.coalesce === 'off' && 'no-coalesce', o.metrics === 'off' && 'no-metrics', o.tag].filter(Boolean).join('-');
const out = {
  peer: 'nucleus', version: JSON.parse((await import('node:fs')).readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version, variant,
  settings: { deployment: o.deployment, sync: o.sync, coalesce: o.coalesce, metrics: o.metrics, warmup: o.warmup },
  params: { runs: o.runs, N: o.n, chunk: o.chunk, concurrency: o.concurrency, rate: o.rate, duration: o.duration, warmup: o.warmup },
  machine: machine(), startedAt: new Date().toISOString(), A: [], B: [], errors: [],
};
const modes = o.modes.split(',');
const scenarios = o.scenarios.split(',');
const t0 = Date.now();
for (let run = 1; run <= o.runs; run++) {
  if (scenarios.includes('A')) {
    for (const mode of modes) {
      try {
        out.A.push({ run, ...(await guarded(`A/${mode}`, () => scenarioA(mode), guard)) });
      } catch (e) {
        log(`A/${mode} run ${run} FAILED: ${e.message}`);
        out.errors.push({ run, scenario: 'A', mode, error: e.message });
      }
    }
  }
  if (scenarios.includes('B')) {
    try {
      out.B.push({ run, ...(await guarded('B', scenarioB, guard)) });
    } catch (e) {
      log(`B run ${run} FAILED: ${e.message}`);
      out.errors.push({ run, scenario: 'B', error: e.message });
    }
  }
}
out.wallSec = (Date.now() - t0) / 1000;

// Aggregates with the peer harness's keys, so that compare.mjs reads both alike.
const agg = {};
for (const mode of modes) {
  const rs = out.A.filter((r) => r.mode === mode);
  if (!rs.length) continue;
  agg[`A_${mode}`] = {
    enqueuePerSec: minMedianMax(rs.map((r) => r.enqueuePerSec)),
    processPerSec: minMedianMax(rs.map((r) => r.processPerSec)),
    workerRssMiB: minMedianMax(rs.map((r) => r.mem.peakRssMiB.worker ?? r.mem.peakRssMiB.dev)),
    masterRssMiB: minMedianMax(rs.map((r) => r.mem.peakRssMiB.master ?? r.mem.peakRssMiB.dev)),
    producerRssMiB: minMedianMax(rs.map((r) => r.mem.peakRssMiB.producer)),
  };
}
if (out.A.length) {
  const runs = [...new Set(out.A.map((r) => r.run))];
  const peak = (get) => minMedianMax(runs.map((run) => Math.max(...out.A.filter((x) => x.run === run).map(get))));
  agg.C = { workerRssMiB: peak((x) => x.mem.peakRssMiB.worker ?? x.mem.peakRssMiB.dev), masterRssMiB: peak((x) => x.mem.peakRssMiB.master ?? x.mem.peakRssMiB.dev) };
}
if (out.B.length) {
  agg.B = {};
  for (const k of ['p50', 'p95', 'p99', 'max']) {
    agg.B[`ack_${k}`] = minMedianMax(out.B.map((r) => r.ackLat[k]));
    agg.B[`handler_${k}`] = minMedianMax(out.B.map((r) => r.handlerLat[k]));
    agg.B[`add_${k}`] = minMedianMax(out.B.map((r) => r.addLat[k]));
  }
  agg.B.achievedRate = minMedianMax(out.B.map((r) => r.achievedRate));
}
out.aggregate = agg;

const flagged = [...out.A, ...out.B].filter((r) => r.contaminated).length;
const maxForeign = Math.max(0, ...[...out.A, ...out.B].map((r) => r.cpu.foreignBusyPct));
const md = [
  `# Nucleus scenarios, deployment ${variant} (${out.startedAt})`,
  '',
  `Machine: ${out.machine.cpus} cores (${out.machine.cpuModel}), Node ${out.machine.node}, nice ${out.machine.nice}. Code: ${out.machine.code.commit}${out.machine.code.srcChanged ? ' with uncommitted changes in src' : ''}, dist built ${out.machine.code.distBuiltAt}. Runs: ${o.runs}; median (min–max).${o.warmup > 0 ? ` Warm-up: ${o.warmup} jobs sent first the same way in every step, left out of every figure (drains timed from the first measured pick-up).` : ' No warm-up: every process starts cold in every step.'} Other processes used at most ${fmt(maxForeign)}% CPU in a kept step${flagged ? `; ${flagged} step(s) flagged as contaminated` : ''}.`,
  '',
  '| measure | value |',
  '|---|---|',
  agg.A_single && `| enqueue/s, single (${o.concurrency} concurrent callers) | ${mmm(agg.A_single.enqueuePerSec)} |`,
  agg.A_bulk && `| enqueue/s, bulk (chunks of ${o.chunk}) | ${mmm(agg.A_bulk.enqueuePerSec)} |`,
  agg.A_bulk && `| drain/s, bulk-enqueued, one worker process, concurrency ${o.concurrency} | ${mmm(agg.A_bulk.processPerSec)} |`,
  agg.A_single && `| drain/s, single-enqueued | ${mmm(agg.A_single.processPerSec)} |`,
  agg.C && `| worker RSS peak during A, MiB${o.deployment === 'inproc' ? ' (master and worker in one process)' : ''} | ${mmm(agg.C.workerRssMiB, f1)} |`,
  agg.C && o.deployment === 'procs' && `| master RSS peak during A, MiB | ${mmm(agg.C.masterRssMiB, f1)} |`,
  agg.B && `| submit->completed at ${o.rate}/s: p50 / p95 / p99 ms | ${mmm(agg.B.ack_p50, f1)} / ${mmm(agg.B.ack_p95, f1)} / ${mmm(agg.B.ack_p99, f1)} |`,
  agg.B && `| submit() ack at ${o.rate}/s: p50 / p99 ms | ${mmm(agg.B.add_p50, f1)} / ${mmm(agg.B.add_p99, f1)} |`,
  '',
].filter((l) => l !== false && l !== undefined).join('\n');
const files = writeResults(`nucleus-${variant}`, out, md);
console.log(md);
log(`wrote ${path.relative(ROOT, files.json)} (${out.wallSec.toFixed(0)} s, ${out.errors.length} errors)`);
process.exit(0);
