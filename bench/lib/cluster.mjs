// Nucleus clusters for the bench scripts, from the built CLI, each in a fresh temporary store:
//   procs:  `nucleus master` and `nucleus worker` as separate processes;
//   inproc: `nucleus dev`, master and one worker in one process.
// The master runs as a user would start it: default settings, HTTP server (metrics) on.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MasterClient, spawnCli, until } from './common.mjs';

export const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

export function tempStore() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nucleus-bench-'));
  return { dir, db: path.join(dir, 'nucleus.db'), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** `nucleus master` on a free port; `db` reused when given (restarts). */
export async function startMaster({ db, sync = 'normal', metrics = true, port = 0, extra = [] }) {
  const httpPort = metrics ? await freePort() : 0;
  const proc = spawnCli(['master', '--host', '127.0.0.1', '--port', String(port), '--http-port', String(httpPort), '--db', db, '--sync', sync, '--log-level', 'warn', ...extra]);
  const m = await proc.line(/gRPC \S+:(\d+)/);
  const address = `127.0.0.1:${m[1]}`;
  return { proc, address, client: new MasterClient({ address, timeoutMs: 30_000 }) };
}

/** `nucleus worker` with the observation tap. */
export function startWorker(address, { concurrency = 64, id = 'bench-w1', extra = [] } = {}) {
  return spawnCli(['worker', '--master', address, '--concurrency', String(concurrency), '--id', id, '--log-level', 'warn', ...extra], { tap: true });
}

/** `nucleus dev`: master and one worker in one process, with the observation tap. */
export async function startDev({ db, concurrency = 64, metrics = true, extra = [] }) {
  const httpPort = metrics ? await freePort() : 0;
  const proc = spawnCli(['dev', '--port', '0', '--http-port', String(httpPort), '--workers', '1', '--concurrency', String(concurrency), '--db', db, '--log-level', 'warn', ...extra], { tap: true });
  const m = await proc.line(/master on (\S+?),? /);
  const address = m[1].replace(/,$/, '');
  return { proc, address, client: new MasterClient({ address, timeoutMs: 30_000 }) };
}

export async function waitForWorkers(client, count = 1) {
  await until(async () => (await client.call('getStats', {})).workers.filter((w) => w.alive).length >= count, `${count} worker(s) to connect`);
}

export const pause = (client, paused) => client.call('pauseQueue', { queue: 'default', paused });

/** Count of jobs by status in the default queue. */
export async function counts(client) {
  const stats = await client.call('getStats', {});
  const out = {};
  for (const c of stats.counts) out[c.status] = Number(c.count);
  return { byStatus: out, total: Object.values(out).reduce((a, b) => a + b, 0), submittedTotal: Number(stats.submittedTotal), finishedTotal: Number(stats.finishedTotal) };
}
