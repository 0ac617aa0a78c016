/**
 * The package as a library user meets it: the `npm pack` tarball unpacked into an empty ESM
 * project (its dependencies linked from this checkout's node_modules, so the test needs no
 * registry), a TypeScript program type-checked with `tsc --strict` against the package's own
 * declarations (a wrong payload type must not compile), then run against a real master: a Client
 * and an embedded Worker, and a handler module that imports 'nucleus' itself, run in a thread.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startCluster, tempDir, waitFor, type TestCluster } from '../helpers/cluster.js';
import { PROJECT_ROOT } from '../helpers/process.js';

const run = promisify(execFile);
const dir = tempDir('nucleus-lib-');
let cluster: TestCluster | null = null;
afterAll(async () => {
  await cluster?.close();
  dir.cleanup();
});

const PROGRAM = `import { Client, Worker, defineHandler, NucleusError, type JobInfo } from 'nucleus';
import { z } from 'zod';

const greet = defineHandler({
  type: 'greet',
  schema: z.object({ name: z.string() }),
  run: (payload) => ({ greeting: 'hello ' + payload.name.toUpperCase() }),
});

const master = process.argv[2];
const client = new Client({ masters: [master] });
const inProcess = new Worker({ masters: master, id: 'in-process', handlers: [greet], isolation: 'none' });
const threaded = new Worker({ masters: master, id: 'threaded', handlers: new URL('./handlers.mjs', import.meta.url), queues: ['threads'] });
void inProcess.run();
void threaded.run();

const job = await client.submit(greet, { name: 'ada' });
const result = await client.result<{ greeting: string }>(job.id, { wait: true, timeoutMs: 30_000 });
const other = await client.submit('shout', { text: 'quiet' }, { queue: 'threads' });
const shouted = await client.result(other.id, { wait: true, timeoutMs: 30_000 });
const info: JobInfo = await client.get(job.id);
let refused = '';
try {
  await client.submit(greet, { name: 7 } as unknown as { name: string });
} catch (error) {
  refused = error instanceof Error ? error.name : 'none';
}
console.log(JSON.stringify({ greeting: result.result?.greeting, shouted: shouted.result, status: info.status, refused, isError: new NucleusError('NOT_FOUND', 'x') instanceof Error }));
await Promise.all([inProcess.close({ grace: 1000 }), threaded.close({ grace: 1000 })]);
client.close();
`;

const WRONG = `import { Client, defineHandler } from 'nucleus';
import { z } from 'zod';
const greet = defineHandler({ type: 'greet', schema: z.object({ name: z.string() }), run: (p) => p.name });
await new Client().submit(greet, { name: 7 });
`;

const HANDLERS = `import { defineHandler, NonRetryableError } from 'nucleus';
import { z } from 'zod';
export const shout = defineHandler({
  type: 'shout',
  schema: z.object({ text: z.string() }),
  run: ({ text }) => {
    if (!text) throw new NonRetryableError('nothing to shout');
    return text.toUpperCase() + '!';
  },
});
`;

let made: Promise<string> | null = null;
/** An empty ESM project with the packed tarball installed (unpacked) and its dependencies linked; made once. */
const project = (): Promise<string> => (made ??= makeProject());

async function makeProject(): Promise<string> {
  const root = join(dir.path, 'app');
  const modules = join(root, 'node_modules');
  mkdirSync(join(modules, 'nucleus'), { recursive: true });
  mkdirSync(join(modules, '@types'), { recursive: true });
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir.path], { cwd: PROJECT_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const [{ filename }] = JSON.parse(stdout) as Array<{ filename: string }>;
  await run('tar', ['-xzf', join(dir.path, filename), '-C', join(modules, 'nucleus'), '--strip-components=1']);
  const pkg = JSON.parse(readFileSync(join(modules, 'nucleus', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const dep of Object.keys(pkg.dependencies)) {
    mkdirSync(join(modules, dep, '..'), { recursive: true });
    symlinkSync(join(PROJECT_ROOT, 'node_modules', dep), join(modules, dep));
  }
  symlinkSync(join(PROJECT_ROOT, 'node_modules', '@types', 'node'), join(modules, '@types', 'node'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  writeFileSync(
    join(root, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', skipLibCheck: false, types: ['node'] }, files: ['main.ts'] }),
  );
  writeFileSync(join(root, 'main.ts'), PROGRAM);
  writeFileSync(join(root, 'handlers.mjs'), HANDLERS);
  return root;
}

const TSC = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

describe('system: the packed library', () => {
  it('given the tarball in an empty ESM project, then types resolve under tsc --strict, a wrong payload does not compile, and Client, Worker and a handler module importing nucleus run', async () => {
    const root = await project();
    await run(process.execPath, [TSC, '-p', '.'], { cwd: root });
    writeFileSync(join(root, 'wrong.ts'), WRONG);
    const wrong = await run(process.execPath, [TSC, '--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', 'wrong.ts'], { cwd: root }).catch((e: { stdout: string }) => e);
    expect((wrong as { stdout: string }).stdout).toMatch(/wrong\.ts\(4,\d+\): error TS2769: No overload matches this call\.[\s\S]*payload: \{ name: string; \}/);
    cluster = await startCluster();
    const { stdout } = await run(process.execPath, ['main.js', cluster.address], { cwd: root, timeout: 90_000 });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ greeting: 'hello ADA', shouted: 'QUIET!', status: 'completed', refused: 'PayloadError', isError: true });
  }, 180_000);

  it('given the README library examples written out as printed, when the worker and the producer run, then the job completes and the worker stops on SIGTERM', async () => {
    const root = await project();
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```js\n(\/\/ (tasks|worker|producer)\.mjs[^\n]*\n[\s\S]*?)```/g)];
    expect(blocks.map((b) => b[2])).toEqual(['tasks', 'worker', 'producer']);
    for (const [, code, name] of blocks) writeFileSync(join(root, `${name}.mjs`), code);
    cluster ??= await startCluster();
    const env = { ...process.env, NUCLEUS_MASTER: cluster.address };
    const worker = spawn(process.execPath, ['worker.mjs'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    worker.stdout.on('data', (d) => (out += d));
    worker.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => worker.on('exit', (code) => r(code)));
    try {
      await waitFor(() => out.includes(`connected to ${cluster!.address}`), `the worker to connect (stdout: ${out}, stderr: ${err})`, 30_000);
      const { stdout } = await run(process.execPath, ['producer.mjs'], { cwd: root, env, timeout: 60_000 });
      const lines = stdout.trim().split('\n');
      expect(lines[0]).toBe("completed { url: 'https://example.com/cat.png', width: 640, resized: true }");
      expect(lines.filter((l) => /^\d+ (queued|running|completed)$/.test(l))).toHaveLength(4);
      await waitFor(() => out.split('completed resize').length - 1 === 4, 'four completed events', 30_000);
    } finally {
      worker.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(err).toBe('');
  }, 240_000);
});
