/**
 * Entry point of the single executable `nucleus` (a Node.js Single Executable Application built
 * by scripts/build-binary.mjs). It wires what a bundled main script lacks (the SQLite addon file,
 * a module loader for user handler modules, the .proto files for gRPC reflection), then runs
 * oclif from the bundled command map. This module runs on load: it is the program, not a library.
 */
import { dirname } from 'node:path';
import * as sea from 'node:sea';
import { execute } from '@oclif/core';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { COMMANDS } from '../commands/index.js';
import { setNativeBinding } from '../store/sqlite-store.js';
import { setModuleImporter } from '../handlers/loader.js';
import { setEmbeddedContract } from '../rpc/reflection.js';
import { sqliteAddonLoader } from './native-addon.js';
import { mainContextImporter } from './module-importer.js';
import { bundledLoadOptions, type BundledPackage } from './oclif-root.js';

/** package.json's name, version and oclif section, embedded by the bundler (esbuild `define`). */
declare const NUCLEUS_PACKAGE: BundledPackage;
/** The wire contract as a FileDescriptorSet (base64), compiled by the bundler for gRPC reflection. */
declare const NUCLEUS_CONTRACT: string;

async function main(): Promise<void> {
  // Outside the executable (the bundle run by plain `node`, for debugging) better-sqlite3 finds
  // its addon in node_modules as usual.
  if (sea.isSea()) setNativeBinding(sqliteAddonLoader((key) => sea.getAsset(key)));
  setModuleImporter(mainContextImporter());
  setEmbeddedContract(() => loadFileDescriptorSetFromBuffer(Buffer.from(NUCLEUS_CONTRACT, 'base64'), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true }));
  const loadOptions = await bundledLoadOptions(NUCLEUS_PACKAGE, COMMANDS, dirname(process.execPath));
  await execute({ loadOptions, args: process.argv.slice(2) });
}

main().catch((error: unknown) => {
  process.stderr.write(`nucleus: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
