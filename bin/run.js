#!/usr/bin/env node
// First: V8 settings by role, before anything else loads (src/runtime-flags.ts).
import '../dist/runtime-flags.js';
import { readFileSync } from 'node:fs';
import { execute } from '@oclif/core';
import { routeArgs } from '../dist/commands/route.js';

// The command ids from oclif's manifest (written by `npm run build`), not from the commands' code.
const manifest = JSON.parse(readFileSync(new URL('../oclif.manifest.json', import.meta.url), 'utf8'));
const routed = routeArgs(process.argv.slice(2), Object.keys(manifest.commands));
if ('error' in routed) {
  process.stderr.write(`${routed.error}\n`);
  process.exitCode = routed.exitCode;
} else {
  await execute({ dir: import.meta.url, args: routed.args });
}
