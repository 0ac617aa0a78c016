/**
 * Small things a new user meets first: what `npm pack` would publish (the package, not the
 * 90 MB single executable built into dist/), and the hint `nucleus dev` prints, which must work as
 * written when the dev master is not on the default port.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/cluster.js';
import { PROJECT_ROOT, killAll, runCli, spawnCli } from '../helpers/process.js';

const run = promisify(execFile);

afterAll(async () => {
  await killAll();
});

/** The paths `npm pack --dry-run` would put in the tarball, and its unpacked size. */
async function packed(cwd: string): Promise<{ files: string[]; unpackedSize: number }> {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const [report] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }>; unpackedSize: number }>;
  return { files: report.files.map((f) => f.path), unpackedSize: report.unpackedSize };
}

describe('system: npm pack', () => {
  it('given a dist/ that holds the single executable, when packed, then the package has the compiled modules but not the executable', async () => {
    // A copy of the package's manifest beside a miniature dist/, so that the check does not depend
    // on whether dist/nucleus has been built (nor touch it while another test builds it).
    const dir = tempDir();
    try {
      copyFileSync(join(PROJECT_ROOT, 'package.json'), join(dir.path, 'package.json'));
      for (const d of ['bin', 'dist/commands', 'proto/nucleus/v1']) mkdirSync(join(dir.path, d), { recursive: true });
      for (const f of ['bin/run.js', 'dist/index.js', 'dist/index.d.ts', 'dist/commands/index.js', 'proto/nucleus/v1/jobs.proto', 'oclif.manifest.json']) writeFileSync(join(dir.path, f), '// x\n');
      writeFileSync(join(dir.path, 'dist', 'nucleus'), Buffer.alloc(64 * 1024));
      writeFileSync(join(dir.path, 'dist', 'nucleus-arm64'), Buffer.alloc(1024));
      const { files } = await packed(dir.path);
      expect(files).toEqual(expect.arrayContaining(['bin/run.js', 'dist/index.js', 'dist/index.d.ts', 'dist/commands/index.js', 'proto/nucleus/v1/jobs.proto', 'oclif.manifest.json']));
      expect(files.filter((f) => f.startsWith('dist/nucleus'))).toEqual([]);
    } finally {
      dir.cleanup();
    }
  });

  it('given this checkout, when packed, then the package is what a user of the library needs, and small', async () => {
    const { files, unpackedSize } = await packed(PROJECT_ROOT);
    expect(files).toEqual(expect.arrayContaining(['bin/run.js', 'dist/index.js', 'dist/commands/index.js', 'oclif.manifest.json', 'package.json']));
    expect(files.filter((f) => f.startsWith('dist/') && !/\.(js|d\.ts)$/.test(f))).toEqual([]);
    expect(unpackedSize).toBeLessThan(20 * 1024 * 1024);
    expect(JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).files).not.toContain('dist');
  });
});

describe('system: nucleus dev', () => {
  it('given a port other than the default, when dev starts, then its hint names --master and works as written', async () => {
    const dev = spawnCli(['dev', '--port', '0', '--http-port', '0', '--workers', '1']);
    const [line, hint] = await dev.waitForLine(/^try: nucleus (.+?)\s{2,}\(Ctrl-C stops\)$/m, { stream: 'stdout', timeoutMs: 30_000 });
    const address = /master on (\S+),/.exec(dev.stdout())![1];
    expect(line).toContain(`--master ${address}`);
    const { code, stdout, stderr } = await runCli(hint.split(' '));
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toBe('832040');
    dev.kill('SIGTERM');
    expect((await dev.waitForExit(20_000)).code).toBe(0);
  });
});
