/**
 * The generated protobuf code is committed; it must be exactly what `npm run proto` makes from
 * proto/ today, so that the contract and the code never drift apart.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/cluster.js';
import { VERSION } from '../../../src/version.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..', '..');
const GENERATED = join(ROOT, 'src', 'rpc', 'generated', 'nucleus', 'v1');

describe('generated protobuf code', () => {
  it('given proto/, when it is generated afresh, then every file equals the committed one', async () => {
    const dir = tempDir('nucleus-proto-');
    try {
      await run(join(ROOT, 'node_modules', '.bin', 'buf'), ['generate', '--output', dir.path], { cwd: ROOT });
      const fresh = join(dir.path, 'src', 'rpc', 'generated', 'nucleus', 'v1');
      const names = readdirSync(fresh).sort();
      expect(readdirSync(GENERATED).sort()).toEqual(names);
      for (const name of names) {
        expect(readFileSync(join(GENERATED, name), 'utf8'), `${name} is stale: run npm run proto`).toBe(readFileSync(join(fresh, name), 'utf8'));
      }
    } finally {
      dir.cleanup();
    }
  });
});

describe('version', () => {
  it('given package.json, then the version the CLI reports is the same', () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });
});
