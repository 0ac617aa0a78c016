/**
 * One process at a time per store file. Two masters on one file would each trust their own
 * in-memory view (counts, the runnable set, leases) and diverge from the file and each other.
 *
 * Guarantees:
 * - While a store is open, its process holds a write lock (SQLite's RESERVED lock, an fcntl lock
 *   of the operating system) on a small SQLite file beside it, `<store>-lock`. A second opener,
 *   in this process or another, is refused at once, and told the holder's pid, host and start.
 * - The lock dies with its process, however it ends (SIGKILL, a crash, a power cut): a stale
 *   holder never blocks a restart, and there is no pid file to clean up.
 * - The holder's row is written in a committed transaction before the lock is kept, and nobody
 *   can commit while the lock is kept, so the row a refused opener reads names the holder.
 *
 * The lock file stays after a clean stop (like SQLite's own -shm file): removing it while
 * another process has it open would let two processes each lock a different file.
 *
 * Caveat, as for SQLite itself: fcntl locks do not hold across hosts on some network file
 * systems. Keep the store on a local disk.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import type { Database as DB } from 'better-sqlite3';

/** Who holds a store. */
export interface StoreHolder {
  pid: number;
  host: string;
  /** Epoch ms. */
  since: number;
}

export type LockAttempt =
  | { ok: true; release: () => void }
  | { ok: false; busy: true; holder: StoreHolder | null }
  | { ok: false; busy: false; error: Error };

/** How long an opener waits on a lock being handed over (two openers racing for a fresh file). */
const BUSY_WAIT_MS = 200;
/** Rounds of write-then-keep an opener tries before it gives up on a race it keeps losing. */
const ROUNDS = 20;

const isBusy = (error: unknown) => /^SQLITE_BUSY/.test(String((error as { code?: string }).code));

export function lockPath(storePath: string): string {
  return `${storePath}-lock`;
}

/** Takes the lock of the store at `storePath`, or says who holds it. Never throws. */
export function lockStore(storePath: string, nativeBinding?: string | object): LockAttempt {
  let db: DB;
  try {
    db = new Database(lockPath(storePath), nativeBinding ? { nativeBinding: nativeBinding as string } : {});
  } catch (error) {
    return { ok: false, busy: false, error: error as Error };
  }
  const nonce = randomBytes(8).toString('hex');
  const me = { pid: process.pid, host: hostname(), since: Date.now(), nonce };
  try {
    db.pragma(`busy_timeout = ${BUSY_WAIT_MS}`);
    for (let round = 0; round < ROUNDS; round++) {
      try {
        db.exec('BEGIN IMMEDIATE');
      } catch (error) {
        if (!isBusy(error)) throw error;
        const holder = readHolder(db);
        db.close();
        return { ok: false, busy: true, holder };
      }
      db.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER, host TEXT, since INTEGER, nonce TEXT)');
      const row = db.prepare('SELECT nonce FROM holder WHERE id = 1').get() as { nonce: string } | undefined;
      if (row?.nonce === nonce) {
        // Ours, and nobody can commit while this transaction stays open: keep it.
        return {
          ok: true,
          release: () => {
            if (!db.open) return;
            try {
              db.exec('ROLLBACK');
            } finally {
              db.close();
            }
          },
        };
      }
      db.prepare('INSERT OR REPLACE INTO holder (id, pid, host, since, nonce) VALUES (1, ?, ?, ?, ?)').run(me.pid, me.host, me.since, me.nonce);
      db.exec('COMMIT');
    }
    const holder = readHolder(db);
    db.close();
    return { ok: false, busy: true, holder };
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    db.close();
    return { ok: false, busy: false, error: error as Error };
  }
}

function readHolder(db: DB): StoreHolder | null {
  try {
    const row = db.prepare('SELECT pid, host, since FROM holder WHERE id = 1').get() as StoreHolder | undefined;
    return row ?? null;
  } catch {
    // No row yet: the holder took a fresh file and has not written it.
    return null;
  }
}
