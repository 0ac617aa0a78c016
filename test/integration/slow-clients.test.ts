/**
 * Slow and idle clients must not exhaust the master: HTTP requests trickled in are cut off at
 * their deadline (while a slow response, a result wait, is not), connections past the cap get a
 * 503 naming the limit, worker streams that never say Hello are closed, and the open-file soft
 * limit is raised to the hard one at start.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { execFileSync } from 'node:child_process';
import { startCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { HandWorker } from './hand-worker.js';
import { createHttpGateway } from '../../src/http/plugin.js';
import { raiseFileLimit } from '../../src/master/file-limit.js';
import { HELLO_DEADLINE_MS } from '../../src/rpc/worker-service.js';

let cluster: TestCluster | null = null;
const sockets: Socket[] = [];
const children: ChildProcess[] = [];
const hands: HandWorker[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const h of hands.splice(0)) h.close();
  await cluster?.close();
  cluster = null;
});

const LIMITS = { headersTimeoutMs: 800, requestTimeoutMs: 1_500, keepAliveTimeoutMs: 1_000, maxConnections: 6 };

async function httpCluster(): Promise<number> {
  cluster = await startCluster({ http: createHttpGateway({ port: 0, processMetrics: false, limits: LIMITS }) });
  return cluster.running.httpPort;
}

/** A raw connection that collects what the server sends and notes when it closes. */
function raw(port: number): { socket: Socket; text: () => string; closedAt: () => number | null } {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let text = '';
  let closedAt: number | null = null;
  socket.on('data', (chunk) => (text += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => (closedAt = Date.now()));
  return { socket, text: () => text, closedAt: () => closedAt };
}

describe('HTTP: slow clients', () => {
  it('given a client that sends its body a byte at a time, when the request deadline passes, then the master answers 408 and closes, long before the body would end', async () => {
    const port = await httpCluster();
    const c = raw(port);
    const started = Date.now();
    c.socket.write('POST /v1/jobs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{');
    const trickle = setInterval(() => c.socket.writable && c.socket.write(' '), 200);
    try {
      await waitFor(() => c.closedAt(), 'the master to close the trickling connection', 15_000);
    } finally {
      clearInterval(trickle);
    }
    expect(c.text()).toMatch(/^HTTP\/1\.1 408/);
    expect(c.closedAt()! - started).toBeLessThan(LIMITS.requestTimeoutMs + 5_000);
  });

  it('given a client that sends its headers a byte at a time, when the header deadline passes, then the connection is closed', async () => {
    const port = await httpCluster();
    const c = raw(port);
    const head = 'GET /v1/stats HTTP/1.1\r\nhost: x\r\nx-slow: ' + 'y'.repeat(200);
    let i = 0;
    const trickle = setInterval(() => c.socket.writable && i < head.length && c.socket.write(head[i++]), 50);
    try {
      await waitFor(() => c.closedAt(), 'the master to close the connection', 15_000);
    } finally {
      clearInterval(trickle);
    }
    expect(i).toBeLessThan(head.length);
  });

  it('given a result wait longer than the request deadline, when the job is not done, then the wait still runs its course and is answered', async () => {
    const port = await httpCluster();
    const { jobId } = await cluster!.client.call('submitJob', { job: { type: 'echo' } });
    const started = Date.now();
    const response = await fetch(`http://127.0.0.1:${port}/v1/jobs/${jobId}/result?wait=2500ms`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { finished: boolean }).finished).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_400);
  });

  it('given the connection cap is reached by idle clients, when one more connects, then it gets 503 naming the limit, and once one leaves a new one is served', async () => {
    const port = await httpCluster();
    const idle = Array.from({ length: LIMITS.maxConnections }, () => raw(port));
    await Promise.all(idle.map((c) => new Promise((resolve) => c.socket.once('connect', resolve))));
    const extra = raw(port);
    await waitFor(() => extra.closedAt(), 'the connection past the cap to be refused');
    expect(extra.text()).toMatch(/^HTTP\/1\.1 503/);
    expect(extra.text()).toContain(`the master has ${LIMITS.maxConnections} HTTP connections open, its limit; try again later`);
    // The idle ones are cut by the header deadline; then a client gets in again.
    await waitFor(() => idle.every((c) => c.closedAt()), 'the idle connections to be closed by the header deadline', 15_000);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });
});

describe('gRPC: worker streams that never say Hello', () => {
  it(`given a Connect stream that sends nothing, when ${HELLO_DEADLINE_MS} ms pass, then the master ends it DEADLINE_EXCEEDED`, async () => {
    cluster = await startCluster();
    const silent = HandWorker.open(cluster.address, { workerId: 'silent' }, false);
    hands.push(silent);
    const started = Date.now();
    await waitFor(() => silent.ended, 'the silent stream to be closed', HELLO_DEADLINE_MS + 10_000, 100);
    expect(silent.ended).toBe(`hello: no Hello within ${HELLO_DEADLINE_MS} ms of opening the stream`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(HELLO_DEADLINE_MS - 500);
    // A worker that does say Hello is not affected.
    const polite = await HandWorker.connect(cluster.address, { workerId: 'polite' });
    hands.push(polite);
    expect(polite.ended).toBeNull();
  }, HELLO_DEADLINE_MS + 20_000);
});

describe('the open-file limit', () => {
  it('given a process whose soft limit is under its hard limit, when the limit is raised, then the soft limit equals the hard one', async () => {
    const hardNow = Number(execFileSync('prlimit', ['--pid', String(process.pid), '--nofile', '--output', 'HARD', '--noheadings', '--raw'], { encoding: 'utf8' }).trim());
    const hard = Math.min(hardNow, 4_096);
    const child = spawn('prlimit', [`--nofile=256:${hard}`, 'sleep', '30'], { stdio: 'ignore' });
    children.push(child);
    // prlimit execs sleep in place: same pid, once the limit is set.
    await waitFor(() => {
      try {
        return execFileSync('prlimit', ['--pid', String(child.pid), '--nofile', '--output', 'SOFT', '--noheadings', '--raw'], { encoding: 'utf8' }).trim() === '256';
      } catch {
        return false;
      }
    }, 'the child to run with a soft limit of 256');
    const result = raiseFileLimit(child.pid!);
    expect(result).toEqual({ soft: hard, hard, raised: true });
    expect(raiseFileLimit(child.pid!)).toEqual({ soft: hard, hard, raised: false });
  });
});
