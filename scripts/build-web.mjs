#!/usr/bin/env node
/**
 * Builds the dashboard's front end (src/web/) into dist/web/assets.json: every asset with a
 * content hash in its name, its bytes and their gzip, so that the master serves them from memory
 * (src/http/web-assets.ts) and dist/nucleus carries them as one SEA asset. Nothing is fetched at
 * run time and nothing is loaded from another host.
 *
 * Usage: node scripts/build-web.mjs   (part of `npm run build`)
 */
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';

const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(PROJECT, 'dist/web/assets.json');

const TYPES = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** Builds the assets into `out` (default dist/web/assets.json); returns them. */
export async function buildWeb(out = OUT) {
  const result = await build({
    entryPoints: [join(PROJECT, 'src/web/main.ts'), join(PROJECT, 'src/web/style.css')],
    outdir: join(PROJECT, 'dist/web/out'),
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'error',
    tsconfig: join(PROJECT, 'src/web/tsconfig.json'),
    nodePaths: [join(PROJECT, 'node_modules')],
  });
  const assets = result.outputFiles.map((file) => {
    const name = basename(file.path);
    const ext = name.slice(name.lastIndexOf('.'));
    const bytes = Buffer.from(file.contents);
    const gzip = gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION });
    return {
      name,
      entry: name.replace(/-[A-Z0-9]+\./, '.'),
      contentType: TYPES[ext] ?? 'application/octet-stream',
      etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"`,
      body: bytes.toString('base64'),
      gzip: gzip.toString('base64'),
      bytes: bytes.length,
      gzipBytes: gzip.length,
    };
  });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ assets }));
  return assets;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const assets = await buildWeb();
  const total = assets.reduce((n, a) => n + a.gzipBytes, 0);
  console.log(`web: ${assets.map((a) => `${a.name} ${a.bytes} B (${a.gzipBytes} B gzipped)`).join(', ')}; ${total} B gzipped in all`);
}
