#!/usr/bin/env node
/**
 * What each worker isolation mode costs per no-op job: a master in this process, one library
 * Worker (concurrency 4) whose module's only handler returns null, and N jobs submitted at once;
 * the figure is the wall time from the first submit to the last completion, per job. Modes are
 * run in turns (none, thread, process, none, ...) so that a change in the machine's load spreads
 * over all of them. Needs `npm run build`.
 *
 * Usage: node bench/micro/isolation.mjs [--jobs 5000] [--rounds 3] [--concurrency 4]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { Client, Worker } = await import(join(root, 'dist/index.js'));
const { resolveMasterConfig } = await import(join(root, 'dist/config.js'));
const { startMaster } = await import(join(root, 'dist/services/master.js'));
const { silentLogger } = await import(join(root, 'dist/log.js'));

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '5000' }, rounds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '4' } } });
const jobs = Number(values.jobs);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);
const module = join(dirname(fileURLToPath(import.meta.url)), 'isolation-noop.mjs');

async function once(isolation) {
  const dir = mkdtempSync(join(tmpdir(), 'nucleus-isolation-'));
  const running = await startMaster(resolveMasterConfig({ host: '127.0.0.1', port: 0, 'http-port': 0, db: join(dir, 'n.db') }, {}), silentLogger);
  const address = `127.0.0.1:${running.grpcPort}`;
  const client = new Client({ masters: address });
  const worker = new Worker({ masters: address, concurrency, handlers: module, isolation, logger: silentLogger });
  const connected = new Promise((r) => worker.once('connected', r));
  void worker.run();
  await connected;
  let done = 0;
  const finished = new Promise((r) => worker.on('completed', () => ++done === jobs && r()));
  const started = performance.now();
  await client.submitMany(Array.from({ length: jobs }, () => ({ type: 'noop' })));
  await finished;
  const ms = performance.now() - started;
  await worker.close({ grace: 0 });
  client.close();
  await running.stop();
  rmSync(dir, { recursive: true, force: true });
  return (ms * 1000) / jobs;
}

const modes = ['none', 'thread', 'process'];
const results = Object.fromEntries(modes.map((m) => [m, []]));
await once('none'); // warms the master and client code, not counted
for (let r = 0; r < rounds; r++) for (const mode of modes) results[mode].push(await once(mode));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(results.none);
console.log(`${jobs} no-op jobs per run, concurrency ${concurrency}, ${rounds} rounds, ${cpus().length} cores, Node ${process.version}`);
console.log('mode     µs/job (median)  runs               vs none');
for (const mode of modes) {
  const m = median(results[mode]);
  console.log(`${mode.padEnd(8)} ${m.toFixed(1).padStart(15)}  ${results[mode].map((x) => x.toFixed(0)).join(', ').padEnd(18)} ${(m / base).toFixed(2)}x`);
}
