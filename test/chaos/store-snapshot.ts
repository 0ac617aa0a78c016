/**
 * Reads a master's SQLite store from the side (a second, read-only connection), so that tests can
 * show what a request did or did not write: row counts, the last id handed out, and a digest of
 * every row of every table. Two equal snapshots mean the store did not change at all.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';

export interface StoreSnapshot {
  jobs: number;
  attempts: number;
  queues: number;
  /** Highest id ever handed out (sqlite_sequence), so that an insert rolled back after use still shows. */
  lastId: number;
  /** SHA-256 over every row of jobs, attempts and queues. */
  digest: string;
}

/** Opens the store read-only; the master keeps writing through its own connection. */
export function storeSnapshot(dbPath: string): StoreSnapshot {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const hash = createHash('sha256');
    const rows = (sql: string) => db.prepare(sql).all() as Array<Record<string, unknown>>;
    const add = (table: string, list: Array<Record<string, unknown>>) => {
      hash.update(`${table}\n`);
      for (const row of list) hash.update(JSON.stringify(row, (_k, v) => (Buffer.isBuffer(v) ? v.toString('base64') : v)));
    };
    const jobs = rows('SELECT * FROM jobs ORDER BY id');
    const attempts = rows('SELECT * FROM attempts ORDER BY job_id, number');
    const queues = rows('SELECT * FROM queues ORDER BY name');
    add('jobs', jobs);
    add('attempts', attempts);
    add('queues', queues);
    const seq = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'jobs'`).get() as { seq: number } | undefined;
    return { jobs: jobs.length, attempts: attempts.length, queues: queues.length, lastId: seq?.seq ?? 0, digest: hash.digest('hex') };
  } finally {
    db.close();
  }
}
