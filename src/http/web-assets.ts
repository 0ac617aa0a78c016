/**
 * The dashboard's built assets (scripts/build-web.mjs writes them to dist/web/assets.json), held
 * in memory: each with its hashed name, bytes, gzip and ETag. Outside the single executable they
 * are read from dist/web/ beside this module (or the project's dist/ when running from src/);
 * inside it, `src/sea/main.ts` hands over the SEA asset of the same name.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The SEA asset key; scripts/build-binary.mjs stores dist/web/assets.json under it. */
export const WEB_ASSETS_KEY = 'web-assets.json';

export interface WebAsset {
  /** Hashed file name, e.g. main-3FJ2K1.js. */
  name: string;
  /** The name without its hash, e.g. main.js. */
  entry: string;
  contentType: string;
  etag: string;
  body: Buffer;
  gzip: Buffer;
}

interface AssetFile {
  assets: Array<{ name: string; entry: string; contentType: string; etag: string; body: string; gzip: string }>;
}

let embedded: (() => string) | null = null;
let cached: Map<string, WebAsset> | null | undefined;

/** For the single executable: where the assets' JSON comes from instead of dist/. */
export function setEmbeddedWebAssets(read: () => string): void {
  embedded = read;
  cached = undefined;
}

function readAssetFile(): string | null {
  if (embedded) return embedded();
  const here = dirname(fileURLToPath(import.meta.url));
  for (const path of [join(here, '../web/assets.json'), join(here, '../../dist/web/assets.json')]) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      // try the next place
    }
  }
  return null;
}

/** The assets by hashed name, or null when the front end was not built. Read once. */
export function webAssets(): Map<string, WebAsset> | null {
  if (cached !== undefined) return cached;
  const text = readAssetFile();
  if (text === null) return (cached = null);
  const file = JSON.parse(text) as AssetFile;
  cached = new Map(
    file.assets.map((a) => [a.name, { ...a, body: Buffer.from(a.body, 'base64'), gzip: Buffer.from(a.gzip, 'base64') }]),
  );
  return cached;
}
