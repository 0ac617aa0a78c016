/**
 * The pieces of the single executable that can be checked without building it: the SQLite addon
 * written to a content-addressed file and loaded from there into a real database, and the
 * module importer that stands in for `import()` in the executable's main script.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { tempDir } from '../../helpers/cluster.js';
import { extractAddon, loadAddon, sqliteAddonLoader, SQLITE_ADDON_ASSET } from '../../../src/sea/native-addon.js';
import { mainContextImporter } from '../../../src/sea/module-importer.js';

const ADDON = createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');

let dir: ReturnType<typeof tempDir> | null = null;
afterEach(() => {
  dir?.cleanup();
  dir = null;
});

describe('sea: the SQLite addon from an asset', () => {
  it('given the addon bytes, when extracted twice, then one file named by its hash holds them and the second call reuses it', () => {
    dir = tempDir();
    const bytes = readFileSync(ADDON);
    const path = extractAddon(bytes, { directory: dir.path });
    expect(path).toMatch(/nucleus-[0-9a-f]{16}\.node$/);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    // A whole second in the past: file systems keep mtimes at various precisions.
    const old = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    utimesSync(path, old, old);
    expect(extractAddon(bytes, { directory: dir.path })).toBe(path);
    expect(Math.round(statSync(path).mtimeMs)).toBe(old.getTime());
    // No temp file is left behind.
    expect(readdirSync(dir.path)).toEqual([path.split('/').pop()]);
  });

  it('given a different file already at the addon path, when extracted, then it is replaced by the real bytes', () => {
    dir = tempDir();
    const bytes = readFileSync(ADDON);
    const path = extractAddon(bytes, { directory: dir.path });
    writeFileSync(path, 'not the addon');
    expect(extractAddon(bytes, { directory: dir.path })).toBe(path);
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('given an asset reader, when the loader is called, then better-sqlite3 opens a database with the loaded addon, loaded once', () => {
    dir = tempDir();
    let reads = 0;
    const load = sqliteAddonLoader((key) => {
      reads += 1;
      expect(key).toBe(SQLITE_ADDON_ASSET);
      const bytes = readFileSync(ADDON);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    }, { directory: dir.path });
    const addon = load();
    expect(load()).toBe(addon);
    expect(reads).toBe(1);
    const db = new Database(join(dir.path, 'x.db'), { nativeBinding: addon as unknown as string });
    try {
      expect(db.prepare('select 6 * 7 as answer').get()).toEqual({ answer: 42 });
    } finally {
      db.close();
    }
    expect(Object.keys(loadAddon(ADDON))).toEqual(expect.arrayContaining(['Database', 'Statement']));
  });
});

describe('sea: the module importer', () => {
  it('given an ES module and a CommonJS file, when imported through the main-context loader, then both load and no warning is printed', async () => {
    dir = tempDir();
    writeFileSync(join(dir.path, 'h.mjs'), 'export const shout = (p) => String(p).toUpperCase();\n');
    writeFileSync(join(dir.path, 'h.cjs'), 'module.exports = { whisper: (p) => String(p).toLowerCase() };\n');
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const importModule = mainContextImporter();
      const esm = (await importModule(pathToFileURL(join(dir.path, 'h.mjs')).href)) as { shout(p: string): string };
      const cjs = (await importModule(pathToFileURL(join(dir.path, 'h.cjs')).href)) as { default: { whisper(p: string): string } };
      expect(esm.shout('hi')).toBe('HI');
      expect(cjs.default.whisper('HI')).toBe('hi');
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((message) => message.includes('USE_MAIN_CONTEXT_DEFAULT_LOADER'))).toEqual([]);
  });
});
