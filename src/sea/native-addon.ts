/**
 * The SQLite native addon inside the single executable: it travels as a SEA asset, and a native
 * addon can only be loaded from a file. So it is written once to a content-addressed path in the
 * temp directory and `process.dlopen`ed from there.
 *
 * Guarantees:
 * - The file loaded holds exactly the asset's bytes: an existing file at the path is used only if
 *   its content equals the asset, otherwise a fresh copy is written.
 * - Writers never expose a half-written file: each writes a private temp file and renames it into
 *   place, so concurrent starts (a master and `nucleus dev` at once) are safe.
 * - Nothing is extracted until a store is opened: client commands and `--help` never pay for it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The asset key under which the build script stores better-sqlite3's addon. */
export const SQLITE_ADDON_ASSET = 'better_sqlite3.node';

/** Where the addon's bytes come from; `node:sea`'s `getAsset` in the binary. */
export type AssetReader = (key: string) => ArrayBuffer;

export interface ExtractOptions {
  /** Directory to write into. Default: the OS temp directory (TMPDIR). */
  directory?: string;
}

function sameContent(path: string, bytes: Buffer): boolean {
  try {
    return readFileSync(path).equals(bytes);
  } catch {
    return false;
  }
}

/**
 * Writes `bytes` to `<directory>/nucleus-<sha256 prefix>.node` unless an identical file is
 * there already, and returns the path.
 */
export function extractAddon(bytes: Buffer, options: ExtractOptions = {}): string {
  const directory = options.directory ?? tmpdir();
  const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const target = join(directory, `nucleus-${digest}.node`);
  if (sameContent(target, bytes)) return target;
  const partial = join(directory, `.nucleus-${digest}-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(partial, bytes, { mode: 0o755 });
    renameSync(partial, target);
    return target;
  } catch (error) {
    rmSync(partial, { force: true });
    // Someone else owns a different file at the shared path (sticky temp dir): use a private one.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM' && (error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
    const privateDir = mkdtempSync(join(directory, 'nucleus-'));
    const own = join(privateDir, `nucleus-${digest}.node`);
    writeFileSync(own, bytes, { mode: 0o755 });
    return own;
  }
}

/** Loads a native addon file the way `require` would, without needing a module loader. */
export function loadAddon(path: string): object {
  const module = { exports: {} as object };
  process.dlopen(module, path);
  return module.exports;
}

/**
 * A loader for better-sqlite3's `nativeBinding` option that extracts and loads the addon on
 * first use, and returns the same module object afterwards.
 */
export function sqliteAddonLoader(readAsset: AssetReader, options: ExtractOptions = {}): () => object {
  let addon: object | null = null;
  return () => {
    if (addon) return addon;
    const bytes = Buffer.from(readAsset(SQLITE_ADDON_ASSET));
    addon = loadAddon(extractAddon(bytes, options));
    return addon;
  };
}
