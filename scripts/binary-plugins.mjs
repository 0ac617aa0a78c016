/**
 * The esbuild plugins of the single-file build (scripts/build-binary.mjs): each makes one package
 * work inside one CommonJS file with no files beside it. They edit third-party code by exact text
 * and fail the build when the text is not found, so an update of a package cannot silently ship
 * a broken binary.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(PROJECT, 'package.json'));

/** Replaces `search` in `contents` exactly once, or fails the build: a silent miss would ship a broken binary. */
export function replaceOnce(contents, search, replacement, file) {
  const at = contents.indexOf(search);
  if (at === -1 || contents.indexOf(search, at + 1) !== -1) {
    throw new Error(`${file}: expected exactly one occurrence of ${JSON.stringify(search)}; the package changed, update scripts/binary-plugins.mjs`);
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

/** The module that src/sea/main.ts imports for its commands; generated by `lazyCommands`. */
export const BUNDLED_COMMANDS_MODULE = 'nucleus:bundled-commands';

/**
 * Which module exports each command of src/commands/index.ts's COMMANDS map, read from its
 * imports: `{ id: { file: './master.js', name: 'Master' } }`.
 */
export function commandModules(indexFile = join(PROJECT, 'src', 'commands', 'index.ts')) {
  const source = readFileSync(indexFile, 'utf8');
  const fileOf = new Map();
  for (const [, names, file] of source.matchAll(/import\s*\{([^}]+)\}\s*from\s*'(\.\/[^']+)'/g)) {
    for (const part of names.split(',')) {
      const [exported, local = exported] = part.trim().split(/\s+as\s+/);
      if (exported) fileOf.set(local.trim(), { file, name: exported.trim() });
    }
  }
  const body = /export const COMMANDS\s*=\s*\{([^}]*)\}/.exec(source);
  if (!body) throw new Error(`${indexFile}: no \`export const COMMANDS = { ... }\` found`);
  const modules = {};
  for (const [, id, local] of body[1].matchAll(/['"]?([\w:-]+)['"]?\s*:\s*(\w+)/g)) {
    const found = fileOf.get(local);
    if (!found) throw new Error(`${indexFile}: COMMANDS.${id} is ${local}, which is not imported from a sibling module`);
    modules[id] = found;
  }
  return modules;
}

/**
 * An esbuild plugin that provides BUNDLED_COMMANDS_MODULE: oclif's manifest of every command,
 * computed at build time, and one loader per command that imports only that command's module.
 * esbuild turns such an `import()` into a lazy initialiser, so `--help` loads no command at all
 * and `nucleus worker` never evaluates the master, the store or the terminal UI.
 */
export function lazyCommands({ manifest, modules }) {
  return {
    name: 'lazy-commands',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: new RegExp(`^${BUNDLED_COMMANDS_MODULE}$`) }, () => ({ path: BUNDLED_COMMANDS_MODULE, namespace: 'lazy-commands' }));
      pluginBuild.onLoad({ filter: /.*/, namespace: 'lazy-commands' }, () => {
        const loaders = Object.entries(modules).map(
          ([id, { file, name }]) => `  ${JSON.stringify(id)}: () => import(${JSON.stringify(file)}).then((m) => m[${JSON.stringify(name)}]),`,
        );
        return {
          contents: `export const COMMAND_MANIFEST = ${JSON.stringify(manifest)};\nexport const COMMAND_LOADERS = {\n${loaders.join('\n')}\n};\n`,
          loader: 'js',
          resolveDir: join(PROJECT, 'src', 'commands'),
        };
      });
    },
  };
}
