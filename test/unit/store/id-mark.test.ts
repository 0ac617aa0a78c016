/**
 * Job ids are never handed out twice, even when the -wal file is deleted after a crash: the
 * store keeps a high-water mark beside it (`<store>-ids`, src/store/id-mark.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteJobStore } from '../../../src/store/sqlite-store.js';
import { ID_BLOCK } from '../../../src/store/id-mark.js';
import type { NewJob } from '../../../src/core/job.js';
import { tempDir } from '../../helpers/cluster.js';

const T0 = Date.UTC(2026, 0, 1);
const job: NewJob = {
  queue: 'default',
  type: 'echo',
  payload: Buffer.from('{}'),
  contentType: 'application/json',
  priority: 5,
  maxRetries: 3,
  timeoutMs: 30_000,
  runAt: T0,
  idempotencyKey: null,
  backoffBaseMs: 1000,
  backoffCapMs: 60_000,
};
const insert = (store: SqliteJobStore, n: number): number[] => store.insertJobs(Array(n).fill(job), T0, 60_000).map((j) => j.id);

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function dir(): string {
  const d = tempDir();
  cleanups.push(d.cleanup);
  return d.path;
}

describe('job id high-water mark', () => {
  it('given jobs committed only to the WAL of a store not closed, when the store is opened without its WAL, then new ids are above every id handed out', () => {
    const a = join(dir(), 'nucleus.db');
    const first = new SqliteJobStore({ path: a });
    insert(first, 3);
    first.close();
    const live = new SqliteJobStore({ path: a });
    cleanups.push(() => live.close());
    live.setAutoCheckpoint(0);
    const acknowledged = insert(live, 5);
    expect(acknowledged).toEqual([4, 5, 6, 7, 8]);

    // The state a SIGKILL then `rm nucleus.db-wal` leaves: the main file (and the mark beside it), no WAL.
    const b = join(dir(), 'nucleus.db');
    copyFileSync(a, b);
    copyFileSync(`${a}-ids`, `${b}-ids`);
    expect(existsSync(`${b}-wal`)).toBe(false);
    const after = new SqliteJobStore({ path: b });
    cleanups.push(() => after.close());
    expect(after.getJob(4, false)).toBeNull();
    const [next] = insert(after, 1);
    expect(next).toBeGreaterThan(Math.max(...acknowledged));
    expect(next).toBeLessThanOrEqual(Math.max(...acknowledged) + ID_BLOCK + 1);
  });

  it('given a store left by a crash with its WAL in place, when it is opened, then ids go on without a gap', () => {
    const a = join(dir(), 'nucleus.db');
    const live = new SqliteJobStore({ path: a });
    cleanups.push(() => live.close());
    live.setAutoCheckpoint(0);
    expect(insert(live, 3)).toEqual([1, 2, 3]);
    const b = join(dir(), 'nucleus.db');
    for (const suffix of ['', '-wal', '-ids']) copyFileSync(`${a}${suffix}`, `${b}${suffix}`);
    const after = new SqliteJobStore({ path: b });
    cleanups.push(() => after.close());
    expect(after.getJob(3, false)).not.toBeNull();
    expect(insert(after, 1)).toEqual([4]);
  });

  it('given a store closed cleanly, when it is opened again, then ids go on without a gap', () => {
    const path = join(dir(), 'nucleus.db');
    const store = new SqliteJobStore({ path });
    expect(insert(store, 3)).toEqual([1, 2, 3]);
    store.close();
    const again = new SqliteJobStore({ path });
    cleanups.push(() => again.close());
    expect(insert(again, 2)).toEqual([4, 5]);
  });

  it('given a mark file that is not a number, when the store is opened, then it is refused naming the file', () => {
    const path = join(dir(), 'nucleus.db');
    writeFileSync(`${path}-ids`, 'garbage');
    expect(() => new SqliteJobStore({ path })).toThrow(`${path}-ids is not a job-id high-water mark`);
  });
});
