/**
 * Entry point of the single executable `nucleus` (a Node.js Single Executable Application built
 * by scripts/build-binary.mjs). It runs oclif from the commands bundled in, and before the first
 * command loads it wires what a bundled main script lacks: the SQLite addon file, a module loader
 * for user handler modules, and the .proto files for gRPC reflection. This module runs on load:
 * it is the program, not a library.
 */
// First: V8 settings by role, before anything else loads (src/runtime-flags.ts).
import '../runtime-flags.js';
import { dirname } from 'node:path';
import * as sea from 'node:sea';
import { execute } from '@oclif/core';
import { COMMAND_LOADERS, COMMAND_MANIFEST } from 'nucleus:bundled-commands';
import { sqliteAddonLoader } from './native-addon.js';
import { mainContextImporter, provideHandlerApi } from './module-importer.js';
import { bundledLoadOptions, type BundledPackage } from './oclif-root.js';
import { routeArgs } from '../commands/route.js';

/** package.json's name, version and oclif section, embedded by the bundler (esbuild `define`). */
declare const NUCLEUS_PACKAGE: BundledPackage;
/** The wire contract as a FileDescriptorSet (base64), compiled by the bundler for gRPC reflection. */
declare const NUCLEUS_CONTRACT: string;

/** Imported here, not at the top, so that `--help` evaluates none of these modules. */
async function wire(): Promise<void> {
  const [store, loader, reflection, protoLoader, web] = await Promise.all([
    import('../store/sqlite-store.js'),
    import('../handlers/loader.js'),
    import('../rpc/reflection.js'),
    import('@grpc/proto-loader'),
    import('../http/web-assets.js'),
  ]);
  // Outside the executable (the bundle run by plain `node`, for debugging) better-sqlite3 finds
  // its addon in node_modules as usual.
  if (sea.isSea()) {
    store.setNativeBinding(sqliteAddonLoader((key) => sea.getAsset(key)));
    web.setEmbeddedWebAssets(() => sea.getAsset(web.WEB_ASSETS_KEY, 'utf8'));
  }
  loader.setModuleImporter(mainContextImporter());
  if (sea.isSea()) provideHandlerApi((await import('../worker/isolation-runner.js')).HANDLER_API_SOURCE);
  const options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
  reflection.setEmbeddedContract(() => protoLoader.loadFileDescriptorSetFromBuffer(Buffer.from(NUCLEUS_CONTRACT, 'base64'), options));
}

async function main(): Promise<void> {
  const commands = { manifest: COMMAND_MANIFEST, loaders: COMMAND_LOADERS, beforeLoad: wire };
  const routed = routeArgs(process.argv.slice(2), Object.keys(COMMAND_MANIFEST.commands));
  if ('error' in routed) {
    process.stderr.write(`${routed.error}\n`);
    process.exitCode = routed.exitCode;
    return;
  }
  const loadOptions = await bundledLoadOptions(NUCLEUS_PACKAGE, commands, dirname(process.execPath));
  await execute({ loadOptions, args: routed.args });
}

main().catch((error: unknown) => {
  process.stderr.write(`nucleus: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
