// A fresh SQLite file on the store's schema and settings, for the micro-benchmarks; `remove()`
// closes it and deletes its directory.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MIGRATIONS } from '../../dist/store/migrations.js';

export function freshStoreFile() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nucleus-micro-'));
  const db = new Database(path.join(dir, 'jobs.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -32000');
  for (const m of MIGRATIONS) db.exec(m);
  const remove = () => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { db, remove };
}
