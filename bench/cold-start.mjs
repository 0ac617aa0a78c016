// Cold start: the time from the command to the first `n` (1,000) jobs done, every process fresh.
// Reported apart from the steady-state scenarios (scenarios.mjs --warmup), which leave it out.
//
//   node bench/cold-start.mjs [--system nucleus|bullmq] [--deployment procs|inproc] [--runs 3]
//        [--n 1000] [--chunk 1000] [--concurrency 64] [--peers DIR] [--tag name]
//        [--foreign-max 8] [--attempts 4] [--quiet-wait 30] [--quiet-pct 8]
//
// Each run, on a fresh store:
//   nucleus procs:  t0 = `nucleus master` is spawned. As soon as it prints that it is listening,
//                   `nucleus worker` (concurrency 64) and a producer process are spawned; the
//                   producer submits the jobs with submitMany() in chunks of 1,000 as soon as it
//                   is connected.
//   nucleus inproc: t0 = `nucleus dev` (master and one worker) is spawned; the producer is spawned
//                   when it prints its address.
//   bullmq:         t0 = `redis-server` is spawned with the peer harness's settings (AOF,
//                   everysec); as soon as it accepts connections, a worker process (one BullMQ
//                   Worker, concurrency 64) and a producer (addBulk in chunks of 1,000) are
//                   spawned. Needs --peers, a copy of the peer harness with its npm install done.
// t1 = the n-th completion observed in the worker (Nucleus: the master's ack, sent after the
// completion is committed; BullMQ: the Worker's 'completed' event). Reported: t1 - t0, and the
// time until the store or master accepted connections.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { ROOT, argv, forkScript, guarded, machine, minMedianMax, nowMs, sleep, spawnCli, Sampler, writeResults, mmm, fmt } from './lib/common.mjs';
import { freePort, tempStore } from './lib/cluster.mjs';

const o = argv({ system: 'nucleus', deployment: 'procs', runs: 3, n: 1000, chunk: 1000, concurrency: 64, peers: process.env.PEERS ?? '', tag: '', 'foreign-max': 8, attempts: 4, 'quiet-wait': 30, 'quiet-pct': 8 });
const PRODUCER = path.join(ROOT, 'bench', 'lib', 'producer.mjs');
const PEER_CHILD = path.join(ROOT, 'bench', 'lib', 'peer-child.mjs');
const label = o.system === 'nucleus' ? `nucleus-${o.deployment}` : o.system;
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}] cold-start/${label}:`, ...a);
const guard = { foreignMax: o['foreign-max'], attempts: o.attempts, quietPct: o['quiet-pct'], quietWaitMs: o['quiet-wait'] * 1000, log };
if (!['nucleus', 'bullmq'].includes(o.system)) throw new Error(`--system must be nucleus or bullmq (got ${o.system})`);
if (o.system === 'bullmq' && !fs.existsSync(path.join(o.peers, 'node_modules', 'bullmq'))) throw new Error('--system bullmq needs --peers (or PEERS): a copy of the peer harness with bullmq installed');
const TIMEOUT_MS = 120_000;

async function nucleusRun(sampler) {
  const store = tempStore();
  const procs = [];
  try {
    const t0 = nowMs();
    let address;
    let tap;
    if (o.deployment === 'inproc') {
      tap = spawnCli(['dev', '--port', '0', '--http-port', String(await freePort()), '--workers', '1', '--concurrency', String(o.concurrency), '--db', store.db, '--log-level', 'warn'], { tap: true, env: { BENCH_TAP_EXPECT: String(o.n) } });
      procs.push(tap);
      sampler.add('dev', tap.pid);
      address = (await tap.line(/master on (\S+?),? /, TIMEOUT_MS))[1].replace(/,$/, '');
    } else {
      const master = spawnCli(['master', '--host', '127.0.0.1', '--port', '0', '--http-port', String(await freePort()), '--db', store.db, '--log-level', 'warn']);
      procs.push(master);
      sampler.add('master', master.pid);
      address = `127.0.0.1:${(await master.line(/gRPC \S+:(\d+)/, TIMEOUT_MS))[1]}`;
    }
    const listeningMs = nowMs() - t0;
    if (o.deployment === 'procs') {
      tap = spawnCli(['worker', '--master', address, '--concurrency', String(o.concurrency), '--id', 'cold-w1', '--log-level', 'warn'], { tap: true, env: { BENCH_TAP_EXPECT: String(o.n) } });
      procs.push(tap);
      sampler.add('worker', tap.pid);
    }
    const prod = forkScript(PRODUCER, { address, mode: 'bulk', n: o.n, chunk: o.chunk });
    procs.push(prod);
    await prod.message('ready', TIMEOUT_MS);
    prod.send({ type: 'go' });
    const done = await tap.message('done', TIMEOUT_MS);
    return { listeningMs, doneMs: done.t1 - t0, acked: done.acked };
  } finally {
    for (const p of procs.reverse()) await p.stop();
    store.remove();
  }
}

async function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

async function bullmqRun(sampler) {
  const store = tempStore();
  const port = await freePort();
  const procs = [];
  const stop = async (p) => {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  let redis;
  try {
    const t0 = nowMs();
    // The peer harness's Redis settings: AOF with fsync every second, otherwise defaults.
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', store.dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '3600 1 300 100 60 10000'], { stdio: 'ignore' });
    sampler.add('server', redis.pid);
    while (!(await canConnect(port))) {
      if (redis.exitCode !== null) throw new Error(`redis-server exited (${redis.exitCode})`);
      if (nowMs() - t0 > TIMEOUT_MS) throw new Error('redis-server did not accept connections');
      await sleep(2);
    }
    const listeningMs = nowMs() - t0;
    const common = { peers: path.resolve(o.peers), peer: o.system, redisPort: port, n: o.n, chunk: o.chunk, concurrency: o.concurrency };
    const worker = forkScript(PEER_CHILD, { ...common, role: 'worker' });
    const prod = forkScript(PEER_CHILD, { ...common, role: 'producer' });
    procs.push(prod, worker);
    sampler.add('worker', worker.pid);
    const done = await worker.message('done', TIMEOUT_MS);
    return { listeningMs, doneMs: done.t1 - t0, acked: done.acked };
  } finally {
    for (const p of procs) await p.stop();
    if (redis) await stop(redis);
    store.remove();
  }
}

async function run() {
  const sampler = new Sampler(100);
  sampler.start();
  let r;
  try {
    r = o.system === 'nucleus' ? await nucleusRun(sampler) : await bullmqRun(sampler);
  } catch (e) {
    sampler.stop();
    throw e;
  }
  const { peakRssMiB, cpu } = sampler.stop();
  log(`${fmt(r.doneMs)} ms to ${r.acked} jobs done (accepting connections after ${fmt(r.listeningMs)} ms); CPU machine ${fmt(cpu.machineBusyPct)}% foreign ${fmt(cpu.foreignBusyPct)}%`);
  return { ...r, mem: { peakRssMiB }, cpu };
}

const out = { system: o.system, variant: label, params: { runs: o.runs, n: o.n, chunk: o.chunk, concurrency: o.concurrency }, machine: machine(), startedAt: new Date().toISOString(), runs: [], errors: [] };
for (let i = 1; i <= o.runs; i++) {
  try {
    out.runs.push({ run: i, ...(await guarded(`run ${i}`, run, guard)) });
  } catch (e) {
    log(`run ${i} FAILED: ${e.message}`);
    out.errors.push({ run: i, error: e.message });
  }
}
out.aggregate = { doneMs: minMedianMax(out.runs.map((r) => r.doneMs)), listeningMs: minMedianMax(out.runs.map((r) => r.listeningMs)) };
const md = [
  `# Cold start, ${label} (${out.startedAt})`,
  '',
  `From the command to the first ${fmt(o.n)} jobs done (bulk, chunks of ${fmt(o.chunk)}, one worker at concurrency ${o.concurrency}), every process fresh, a fresh store. Runs: ${o.runs}; median (min–max). Code: ${out.machine.code.commit}. Node ${out.machine.node}.`,
  '',
  '| measure | value |',
  '|---|---|',
  `| command -> first ${fmt(o.n)} jobs done, ms | ${mmm(out.aggregate.doneMs)} |`,
  `| command -> ${o.system === 'bullmq' ? 'Redis' : 'master'} accepting connections, ms | ${mmm(out.aggregate.listeningMs)} |`,
  '',
].join('\n');
const files = writeResults(`cold-start-${label}${o.tag ? `-${o.tag}` : ''}`, out, md);
console.log(md);
log(`wrote ${path.relative(ROOT, files.json)} (${out.errors.length} errors)`);
process.exit(out.errors.length && !out.runs.length ? 1 : 0);
