#!/usr/bin/env node
/**
 * Builds `dist/nucleus`: one executable file holding Node.js, every command and the SQLite addon,
 * as a Node.js Single Executable Application (SEA).
 *
 * Why SEA and not pkg: pkg downloads patched Node base binaries at build time, and no npm package
 * ships them; SEA needs only the Node that runs this script (20.12 or later, built with the SEA
 * fuse, as the official builds are).
 *
 * Steps:
 * 1. esbuild bundles src/sea/main.ts, and through it the COMMANDS map of src/commands/index.ts,
 *    into ONE CommonJS file (a SEA main script must be CommonJS). ink and yoga-layout use
 *    top-level await, which CommonJS cannot express; the `syncTopLevelAwait` plugin below makes
 *    those few awaits synchronous.
 * 2. `node --experimental-sea-config` writes the blob: the bundle with its V8 code cache, and
 *    better-sqlite3's addon as the asset `better_sqlite3.node`.
 * 3. A copy of this Node executable (stripped of debug symbols when `strip` is available) gets the
 *    blob injected with postject.
 *
 * Usage: node scripts/build-binary.mjs [--out dist/nucleus] [--no-strip]
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(PROJECT, 'package.json'));

/** The fuse that Node's SEA support looks for; fixed by Node. */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** The asset key under which the addon travels; src/sea/native-addon.ts reads the same key. */
export const SQLITE_ADDON_ASSET = 'better_sqlite3.node';

/** Replaces `search` in `contents` exactly once, or fails the build: a silent miss would ship a broken binary. */
function replaceOnce(contents, search, replacement, file) {
  const at = contents.indexOf(search);
  if (at === -1 || contents.indexOf(search, at + 1) !== -1) {
    throw new Error(`${file}: expected exactly one occurrence of ${JSON.stringify(search)}; the package changed, update scripts/build-binary.mjs`);
  }
  return contents.slice(0, at) + replacement + contents.slice(at + search.length);
}

/**
 * An esbuild plugin that removes the top-level awaits of yoga-layout and ink, so that they can be
 * bundled as CommonJS:
 * - yoga-layout awaits its Emscripten loader, which compiles the WebAssembly asynchronously. Given
 *   an `instantiateWasm` hook that instantiates synchronously (the module is ~90 KB, well under
 *   V8's limit for synchronous compilation), the loader finishes before it returns.
 * - ink awaits two imports that only run when DEV=true (React devtools, its own package.json);
 *   neither exists inside a single file, so they become no-ops.
 * Any other top-level await still fails the build, loudly.
 */
export function syncTopLevelAwait() {
  return {
    name: 'sync-top-level-await',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /[\\/]yoga-layout[\\/]dist[\\/]src[\\/]index\.js$/ }, (args) => {
        const file = args.path;
        let contents = readFileSync(file, 'utf8');
        const loader = readFileSync(join(dirname(file), '..', 'binaries', 'yoga-wasm-base64-esm.js'), 'utf8');
        const wasm = /data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)/.exec(loader);
        if (!wasm) throw new Error(`${file}: the WebAssembly data URI was not found in yoga's loader`);
        contents = replaceOnce(contents, 'wrapAssembly(await loadYoga())', 'wrapAssembly(loadYogaSync(loadYoga))', file);
        contents += `
function loadYogaSync(load) {
  const module = {
    instantiateWasm(imports, receiveInstance) {
      const bytes = Buffer.from(${JSON.stringify(wasm[1])}, 'base64');
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
      receiveInstance(instance);
      return instance.exports;
    },
  };
  load(module).catch(() => {});
  if (!module.calledRun) throw new Error('yoga-layout did not initialise synchronously');
  return module;
}
`;
        return { contents, loader: 'js' };
      });
      pluginBuild.onLoad({ filter: /[\\/]ink[\\/]build[\\/]reconciler\.js$/ }, (args) => {
        const file = args.path;
        let contents = readFileSync(file, 'utf8');
        contents = replaceOnce(contents, "await import('./devtools.js');", '/* React devtools are not part of the single-file build */', file);
        contents = replaceOnce(contents, '? await loadPackageJson()', "? { name: 'ink', version: undefined }", file);
        return { contents, loader: 'js' };
      });
    },
  };
}

/**
 * An esbuild plugin for what oclif does only outside a single file:
 * - it checks package.json's `engines.node` at import by requiring the file from disk; the binary
 *   carries its own Node, so the check is dropped (a SEA warns about any require from disk);
 * - it requires `typescript` to read tsconfig.json in development mode; without this stub the
 *   whole compiler (10 MB) would be bundled. The stub throws, which oclif already handles.
 */
export function oclifInOneFile() {
  return {
    name: 'oclif-in-one-file',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]index\.js$/ }, (args) => {
        const contents = replaceOnce(readFileSync(args.path, 'utf8'), '\ncheckNodeVersion();', '\n', args.path);
        return { contents, loader: 'js' };
      });
      pluginBuild.onResolve({ filter: /^typescript$/ }, () => ({ path: 'typescript', namespace: 'absent' }));
      pluginBuild.onLoad({ filter: /.*/, namespace: 'absent' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`${args.path} is not part of the single-file build`)});`,
        loader: 'js',
      }));
    },
  };
}

/** A .proto file parsed at build time, as protobufjs JSON for proto-loader's `fromJSON`. */
function protoJson(file) {
  const protobuf = createRequire(require.resolve('@grpc/proto-loader'))('protobufjs');
  return JSON.stringify(protobuf.loadSync(file).toJSON());
}

/**
 * An esbuild plugin for the gRPC packages that read .proto files beside their code at run time
 * (grpc-health-check when imported, @grpc/reflection when added to a server): the files are
 * parsed at build time and embedded, so nothing is read from disk. grpc-health-check's
 * `protoPath` becomes relative ('health/v1/health.proto'), to be found under the include
 * directories of whoever loads it.
 */
export function protosInOneFile() {
  return {
    name: 'protos-in-one-file',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /[\\/]grpc-health-check[\\/]build[\\/]src[\\/]health\.js$/ }, (args) => {
        const file = args.path;
        const proto = join(dirname(file), '..', '..', 'proto', 'health', 'v1', 'health.proto');
        let contents = readFileSync(file, 'utf8');
        contents = replaceOnce(contents, "const loadedProto = (0, proto_loader_1.loadSync)('health/v1/health.proto', {", `const loadedProto = () => (0, proto_loader_1.fromJSON)(${protoJson(proto)}, {`, file);
        // Built on first use rather than at import: it costs ~20 ms that `--help` should not pay.
        contents = replaceOnce(
          contents,
          "exports.service = loadedProto['grpc.health.v1.Health'];",
          "let service;\nObject.defineProperty(exports, 'service', { enumerable: true, get: () => (service ??= loadedProto()['grpc.health.v1.Health']) });",
          file,
        );
        contents = replaceOnce(contents, "path.resolve(__dirname, '../../proto/health/v1/health.proto')", "'health/v1/health.proto'", file);
        return { contents, loader: 'js' };
      });
      pluginBuild.onLoad({ filter: /[\\/]@grpc[\\/]reflection[\\/]build[\\/]src[\\/]implementations[\\/]reflection-v1(alpha)?\.js$/ }, (args) => {
        const file = args.path;
        const version = file.endsWith('v1alpha.js') ? 'v1alpha' : 'v1';
        const proto = join(dirname(file), '..', '..', 'proto', 'grpc', 'reflection', version, 'reflection.proto');
        let contents = readFileSync(file, 'utf8');
        contents = replaceOnce(contents, 'protoLoader.loadSync(protoPath, constants_1.PROTO_LOADER_OPTS)', `protoLoader.fromJSON(${protoJson(proto)}, constants_1.PROTO_LOADER_OPTS)`, file);
        return { contents, loader: 'js' };
      });
    },
  };
}

function varint(value) {
  const bytes = [];
  for (let v = value; ; v >>>= 7) {
    if (v < 0x80) {
      bytes.push(v);
      return Buffer.from(bytes);
    }
    bytes.push((v & 0x7f) | 0x80);
  }
}

/**
 * The wire contract for gRPC reflection, compiled now: proto/nucleus/v1/*.proto and the health
 * service, loaded exactly as src/rpc/reflection.ts loads them from disk, as a serialized
 * google.protobuf.FileDescriptorSet (file names and imports kept) in base64.
 */
export function contractDescriptorSet() {
  const protoLoader = require('@grpc/proto-loader');
  const protoDir = join(PROJECT, 'proto');
  const contract = readdirSync(join(protoDir, 'nucleus', 'v1')).filter((f) => f.endsWith('.proto')).map((f) => `nucleus/v1/${f}`);
  const health = join(dirname(require.resolve('grpc-health-check')), '..', '..', 'proto', 'health', 'v1', 'health.proto');
  const definition = protoLoader.loadSync([...contract, health], { includeDirs: [protoDir], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const files = new Map();
  for (const entry of Object.values(definition)) {
    for (const file of entry.fileDescriptorProtos ?? []) files.set(Buffer.from(file).toString('base64'), Buffer.from(file));
  }
  // FileDescriptorSet { repeated FileDescriptorProto file = 1; }: tag 0x0a, length, bytes.
  return Buffer.concat([...files.values()].flatMap((file) => [Buffer.from([0x0a]), varint(file.length), file])).toString('base64');
}

/** package.json's name, version and oclif section: what oclif needs, embedded in the bundle. */
export function bundledPackage() {
  const pkg = JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8'));
  return { name: pkg.name, version: pkg.version, oclif: pkg.oclif };
}

/** Step 1: bundles `entry` into one CommonJS file. Returns esbuild's metafile. */
export async function bundle({ entry = join(PROJECT, 'src/sea/main.ts'), outfile, minify = true } = {}) {
  const result = await build({
    entryPoints: [entry],
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
    plugins: [syncTopLevelAwait(), oclifInOneFile(), protosInOneFile()],
  });
  return result.metafile;
}

function run(command, args, what) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${what} failed (${command} ${args.join(' ')}):\n${result.stdout ?? ''}${result.stderr ?? result.error?.message ?? ''}`);
  }
  return result;
}

function hasSeaFuse(executable) {
  return readFileSync(executable).includes(Buffer.from(`${SEA_FUSE}:0`));
}

function stripAvailable() {
  return spawnSync('strip', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Builds the executable at `out`. Returns its size and how long each step took.
 * @param {{ out?: string, strip?: boolean, node?: string, entry?: string }} options
 */
export async function buildBinary({ out = join(PROJECT, 'dist/nucleus'), strip = true, node = process.execPath, entry } = {}) {
  const started = Date.now();
  if (!hasSeaFuse(node)) throw new Error(`${node} has no SEA fuse: build with an official Node.js 20.12+ binary`);
  const addon = require.resolve('better-sqlite3/build/Release/better_sqlite3.node');
  mkdirSync(dirname(out), { recursive: true });
  // A private work directory and an atomic rename at the end: two builds at once (two test runs)
  // never mix their files, and `out` is always either the old binary or the new one.
  const work = mkdtempSync(join(dirname(out), '.nucleus-build-'));
  try {
    const bundleFile = join(work, 'nucleus.cjs');
    await bundle({ entry, outfile: bundleFile });
    const bundled = Date.now();

    const blob = join(work, 'sea-prep.blob');
    const seaConfig = join(work, 'sea-config.json');
    const assets = { [SQLITE_ADDON_ASSET]: addon };
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
      ms: { bundle: bundled - started, blob: blobbed - bundled, inject: done - blobbed, total: done - started },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const invokedDirectly = process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url;
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = outAt === -1 ? undefined : resolve(args[outAt + 1]);
  try {
    const result = await buildBinary({ out, strip: !args.includes('--no-strip') });
    const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
    process.stdout.write(
      `built ${result.path}: ${mb(result.bytes)} (bundle ${mb(result.bundleBytes)}${result.stripped ? ', node stripped of debug symbols' : ''}) in ${(result.ms.total / 1000).toFixed(1)} s ` +
        `(bundle ${result.ms.bundle} ms, blob ${result.ms.blob} ms, inject ${result.ms.inject} ms)\n`,
    );
  } catch (error) {
    process.stderr.write(`build-binary: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
