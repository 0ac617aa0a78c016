/**
 * The SQLite JobStore on a real file in a temp directory: fencing by lease, durability across
 * reopen, idempotency keys, due jobs, keyset paging, retention, and refusing files that are not ours.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteJobStore } from '../../../src/store/sqlite-store.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { ErrorCode, NucleusError } from '../../../src/errors.js';
import type { NewJob } from '../../../src/core/job.js';
import type { AttemptEnd } from '../../../src/store/job-store.js';
import { tempDir } from '../../helpers/cluster.js';

const T0 = Date.UTC(2026, 0, 1);
const WINDOW = 60_000;

const newJob = (overrides: Partial<NewJob> = {}): NewJob => ({
  queue: 'default',
  type: 'echo',
  payload: Buffer.from('{"x":1}'),
  contentType: 'application/json',
  priority: 5,
  maxRetries: 3,
  timeoutMs: 30_000,
  runAt: T0,
  idempotencyKey: null,
  backoffBaseMs: 1000,
  backoffCapMs: 60_000,
  ...overrides,
});

const end = (id: number, attempt: number, overrides: Partial<AttemptEnd> = {}): AttemptEnd => ({
  id,
  attempt,
  status: 'completed',
  failures: 0,
  runAt: T0,
  front: false,
  outcome: 'completed',
  error: null,
  result: Buffer.from('"ok"'),
  resultContentType: 'application/json',
  at: T0 + 10,
  workerId: 'w1',
  startedAt: T0,
  ...overrides,
});

let dir: ReturnType<typeof tempDir>;
let path: string;
let store: SqliteJobStore;

beforeEach(() => {
  dir = tempDir('nucleus-store-');
  path = join(dir.path, 'jobs.db');
  store = new SqliteJobStore({ path });
});
afterEach(() => {
  store.close();
  dir.cleanup();
});

function refusal(fn: () => unknown): NucleusError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(NucleusError);
    return error as NucleusError;
  }
  throw new Error('expected the store to refuse the file');
}

describe('insert, claim and end, fenced by attempt', () => {
  it('given new jobs, when inserted, then due ones are queued, future ones scheduled, ids ascending', () => {
    const inserted = store.insertJobs([newJob(), newJob({ runAt: T0 + 5000 })], T0, WINDOW);
    expect(inserted.map((i) => [i.status, i.duplicate])).toEqual([
      ['queued', false],
      ['scheduled', false],
    ]);
    expect(inserted[1].id).toBeGreaterThan(inserted[0].id);
    const job = store.getJob(inserted[0].id, true)!;
    expect(job).toMatchObject({ status: 'queued', attempt: 0, failures: 0, createdAt: T0, workerId: null, attempts: [] });
    expect(Buffer.from(job.payload).toString()).toBe('{"x":1}');
  });

  it('given a queued job, when claimed, then it runs under attempt 1 with an attempt row; a second claim skips it', () => {
    const [{ id }] = store.insertJobs([newJob()], T0, WINDOW);
    const [lease] = store.claim([{ id, workerId: 'w1' }], T0 + 1);
    expect(lease).toMatchObject({ id, attempt: 1, workerId: 'w1', startedAt: T0 + 1, type: 'echo' });
    expect(store.claim([{ id, workerId: 'w2' }], T0 + 2)).toEqual([]);
    const job = store.getJob(id, true)!;
    expect(job).toMatchObject({ status: 'running', attempt: 1, workerId: 'w1' });
    expect(job.attempts).toEqual([{ number: 1, workerId: 'w1', startedAt: T0 + 1, finishedAt: null, outcome: 'running', error: null }]);
    expect(store.loadRunning().map((l) => l.id)).toEqual([id]);
  });

  it('given a running job, when an end names a stale attempt, then it returns false and changes nothing', () => {
    const [{ id }] = store.insertJobs([newJob()], T0, WINDOW);
    store.claim([{ id, workerId: 'w1' }], T0 + 1);
    const before = store.getJob(id, true);
    expect(store.endAttempts([end(id, 2), end(id, 0)])).toEqual([false, false]);
    expect(store.getJob(id, true)).toEqual(before);
  });

  it('given a running job, when the current lease ends it, then it applies once; the same end again is refused', () => {
    const [{ id }] = store.insertJobs([newJob()], T0, WINDOW);
    store.claim([{ id, workerId: 'w1' }], T0 + 1);
    expect(store.endAttempts([end(id, 1)])).toEqual([true]);
    const done = store.getJob(id, true)!;
    expect(done).toMatchObject({ status: 'completed', finishedAt: T0 + 10, error: null, resultContentType: 'application/json' });
    expect(Buffer.from(done.result!).toString()).toBe('"ok"');
    expect(done.attempts![0]).toMatchObject({ outcome: 'completed', finishedAt: T0 + 10 });
    expect(store.endAttempts([end(id, 1, { status: 'failed', outcome: 'fatal', error: 'late' })])).toEqual([false]);
    expect(store.getJob(id, true)).toEqual(done);
  });

  it('given a job that completes on its second attempt, when read, then its history has both attempts and only the first has a row', () => {
    const [{ id }] = store.insertJobs([newJob()], T0, WINDOW);
    store.claim([{ id, workerId: 'w1' }], T0 + 1);
    store.endAttempts([end(id, 1, { status: 'queued', failures: 1, front: true, outcome: 'lost', error: 'worker lost', result: null, startedAt: T0 + 1 })]);
    store.claim([{ id, workerId: 'w2' }], T0 + 20);
    expect(store.endAttempts([end(id, 2, { at: T0 + 30, workerId: 'w2', startedAt: T0 + 20 })])).toEqual([true]);
    expect(store.getJob(id, true)!.attempts).toEqual([
      { number: 1, workerId: 'w1', startedAt: T0 + 1, finishedAt: T0 + 10, outcome: 'lost', error: 'worker lost' },
      { number: 2, workerId: 'w2', startedAt: T0 + 20, finishedAt: T0 + 30, outcome: 'completed', error: null },
    ]);
    store.close();
    const raw = new Database(path);
    expect(raw.prepare('SELECT number FROM attempts WHERE job_id = ?').all(id)).toEqual([{ number: 1 }]);
    raw.close();
    store = new SqliteJobStore({ path });
  });

  it('given several jobs claimed for two workers in one call, then each lease names its worker and the claim time', () => {
    const ids = store.insertJobs([newJob(), newJob(), newJob()], T0, WINDOW).map((j) => j.id);
    const leased = store.claim([{ id: ids[0], workerId: 'w1' }, { id: ids[1], workerId: 'w2' }, { id: ids[2], workerId: 'w1' }], T0 + 5);
    expect(leased.map((l) => [l.id, l.workerId, l.attempt, l.startedAt]).sort()).toEqual([
      [ids[0], 'w1', 1, T0 + 5],
      [ids[1], 'w2', 1, T0 + 5],
      [ids[2], 'w1', 1, T0 + 5],
    ]);
    expect(Buffer.from(leased[0].payload).toString()).toBe('{"x":1}');
    expect(store.claim([{ id: ids[0], workerId: 'w3' }], T0 + 6)).toEqual([]);
  });

  it('given a large batch mixing keyed and unkeyed jobs, when inserted, then every answer names the row that holds that job', () => {
    const jobs = Array.from({ length: 45 }, (_, i) =>
      newJob({ payload: Buffer.from(`{"n":${i}}`), idempotencyKey: i % 20 === 7 ? `k${i}` : null, runAt: i === 30 ? T0 + 60_000 : T0 }),
    );
    const inserted = store.insertJobs(jobs, T0, WINDOW);
    expect(new Set(inserted.map((j) => j.id)).size).toBe(45);
    inserted.forEach((answer, i) => {
      const job = store.getJob(answer.id, false)!;
      expect(Buffer.from(job.payload).toString()).toBe(`{"n":${i}}`);
      expect(job.status).toBe(i === 30 ? 'scheduled' : 'queued');
      expect(answer.status).toBe(job.status);
    });
  });

  it('given runs of jobs alike but for payload and run time, and runs where one job differs in one field, when inserted, then every row holds its own job', () => {
    const variants: Array<Partial<NewJob>> = [
      {},
      { queue: 'emails' },
      { type: 'resize' },
      { contentType: 'text/plain' },
      { priority: 0 },
      { maxRetries: 9 },
      { timeoutMs: 5000 },
      { backoffBaseMs: 10 },
      { backoffCapMs: 99_000 },
      { runAt: T0 + 60_000 }, // scheduled among queued ones
    ];
    // Run r (16 jobs): job r*16 + 5 takes variant r; run 0 is all alike; every job has its own payload and run time.
    const jobs = variants.flatMap((variant, r) =>
      Array.from({ length: 16 }, (_, k) =>
        newJob({ payload: Buffer.from(`{"n":${r * 16 + k}}`), runAt: T0 - k, ...(k === 5 ? variant : {}) }),
      ),
    );
    // A run that is all scheduled, and all of another queue and type.
    jobs.push(...Array.from({ length: 16 }, (_, k) => newJob({ payload: Buffer.from(`{"n":${160 + k}}`), runAt: T0 + 1000 + k, queue: 'q2', type: 't2' })));
    const inserted = store.insertJobs(jobs, T0, WINDOW);
    inserted.forEach((answer, i) => {
      const job = jobs[i];
      const row = store.getJob(answer.id, false)!;
      expect(Buffer.from(row.payload).toString()).toBe(`{"n":${i}}`);
      expect(row).toMatchObject({
        queue: job.queue,
        type: job.type,
        contentType: job.contentType,
        priority: job.priority,
        maxRetries: job.maxRetries,
        timeoutMs: job.timeoutMs,
        runAt: job.runAt,
        backoffBaseMs: job.backoffBaseMs,
        backoffCapMs: job.backoffCapMs,
        idempotencyKey: null,
        status: job.runAt > T0 ? 'scheduled' : 'queued',
        createdAt: T0,
      });
      expect(answer.status).toBe(row.status);
    });
  });

  it('given a retry, when the job is claimed again, then the lease moves to attempt 2 and attempt 1 can no longer end it', () => {
    const [{ id }] = store.insertJobs([newJob()], T0, WINDOW);
    store.claim([{ id, workerId: 'w1' }], T0 + 1);
    store.endAttempts([end(id, 1, { status: 'queued', failures: 1, front: true, outcome: 'lost', error: 'worker lost', result: null })]);
    expect(store.loadQueued()).toEqual([{ id, queue: 'default', type: 'echo', priority: 5, front: true }]);
    const [lease] = store.claim([{ id, workerId: 'w2' }], T0 + 20);
    expect(lease.attempt).toBe(2);
    expect(lease.failures).toBe(1);
    expect(store.endAttempts([end(id, 1)])).toEqual([false]);
    expect(store.getJob(id, false)!.status).toBe('running');
    expect(store.getJob(id, true)!.attempts!.map((a) => [a.number, a.workerId, a.outcome])).toEqual([
      [1, 'w1', 'lost'],
      [2, 'w2', 'running'],
    ]);
  });

  it('given progress, when reported with a stale attempt, then it is ignored; with the current one, then stored', () => {
    const [{ id }] = store.insertJobs([newJob()], T0, WINDOW);
    store.claim([{ id, workerId: 'w1' }], T0 + 1);
    store.updateProgress([{ id, attempt: 7, progress: 90, message: 'stale' }], T0 + 2);
    expect(store.getJob(id, false)).toMatchObject({ progress: 0, progressMessage: null });
    store.updateProgress([{ id, attempt: 1, progress: 50, message: 'half' }], T0 + 3);
    expect(store.getJob(id, false)).toMatchObject({ progress: 50, progressMessage: 'half' });
  });
});

describe('transactions', () => {
  it('given a batch whose 20th row breaks a constraint, when inserted, then no row of it is written and the next batch goes in', () => {
    const jobs = Array.from({ length: 24 }, () => newJob());
    jobs[19] = newJob({ type: null as never });
    expect(refusal(() => store.insertJobs(jobs, T0, WINDOW)).code).toBe(ErrorCode.Internal);
    expect(store.getJob(1, false)).toBeNull();
    const [first] = store.insertJobs([newJob()], T0, WINDOW);
    expect(store.getJob(first.id, false)?.status).toBe('queued');
    // The ids of the rolled-back rows were not used up in a way that breaks the next insert.
    expect(store.insertJobs(Array.from({ length: 16 }, () => newJob()), T0, WINDOW)).toHaveLength(16);
  });
});

describe('setStatus: cancel and re-drive, fenced by status', () => {
  it('given a queued job, when cancelled from the wrong status, then nothing changes; from the right one, then cancelled', () => {
    const [{ id }] = store.insertJobs([newJob()], T0, WINDOW);
    expect(store.setStatus(id, 'scheduled', 'cancelled', T0 + 1)).toBeNull();
    expect(store.getJob(id, false)!.status).toBe('queued');
    expect(store.setStatus(id, 'queued', 'cancelled', T0 + 1)).toEqual({ id, queue: 'default', type: 'echo', priority: 5, from: 'queued', to: 'cancelled', front: false });
    expect(store.getJob(id, false)).toMatchObject({ status: 'cancelled', finishedAt: T0 + 1 });
  });

  it('given a dead-lettered job, when re-driven, then queued now with failures, error and finish time cleared, history kept', () => {
    const [{ id }] = store.insertJobs([newJob()], T0, WINDOW);
    store.claim([{ id, workerId: 'w1' }], T0 + 1);
    store.endAttempts([end(id, 1, { status: 'dead_letter', failures: 4, outcome: 'error', error: 'boom', result: null })]);
    store.setStatus(id, 'dead_letter', 'queued', T0 + 100);
    const job = store.getJob(id, true)!;
    expect(job).toMatchObject({ status: 'queued', failures: 0, error: null, finishedAt: null, runAt: T0 + 100, attempt: 1 });
    expect(job.attempts).toHaveLength(1);
  });
});

describe('durability across reopen', () => {
  it('given jobs, attempts and a paused queue, when the store is closed and reopened, then everything is there', () => {
    const [a, b] = store.insertJobs([newJob(), newJob({ queue: 'mail', runAt: T0 + 999 })], T0, WINDOW);
    store.claim([{ id: a.id, workerId: 'w1' }], T0 + 1);
    store.endAttempts([end(a.id, 1)]);
    store.setPaused('mail', true);
    const before = [store.getJob(a.id, true), store.getJob(b.id, true)];
    store.close();
    store = new SqliteJobStore({ path, sync: 'full' });
    expect([store.getJob(a.id, true), store.getJob(b.id, true)]).toEqual(before);
    expect(store.pausedQueues()).toEqual(['mail']);
    expect(store.nextDueAt()).toBe(T0 + 999);
    // Ids keep growing after a reopen (AUTOINCREMENT): an id is never reused.
    expect(store.insertJobs([newJob()], T0, WINDOW)[0].id).toBeGreaterThan(b.id);
  });
});

describe('idempotency keys', () => {
  it('given a job with a key, when the key is submitted again while it is not finished, then the first id comes back as a duplicate', () => {
    const [first] = store.insertJobs([newJob({ idempotencyKey: 'order-1' })], T0, WINDOW);
    const [again] = store.insertJobs([newJob({ idempotencyKey: 'order-1', type: 'other' })], T0 + 1, WINDOW);
    expect(again).toEqual({ id: first.id, status: 'queued', duplicate: true });
    expect(store.listJobs({ limit: 10 })).toHaveLength(1);
  });

  it('given the same key twice in one batch, then the second is a duplicate of the first', () => {
    const [a, b] = store.insertJobs([newJob({ idempotencyKey: 'k' }), newJob({ idempotencyKey: 'k' })], T0, WINDOW);
    expect(b).toEqual({ id: a.id, status: 'queued', duplicate: true });
  });

  it('given a finished job, when its key comes back within the window, then duplicate; after the window, then a new job and the old one lets go of the key', () => {
    const [first] = store.insertJobs([newJob({ idempotencyKey: 'k' })], T0, WINDOW);
    store.claim([{ id: first.id, workerId: 'w1' }], T0);
    store.endAttempts([end(first.id, 1, { at: T0 + 10 })]);
    expect(store.insertJobs([newJob({ idempotencyKey: 'k' })], T0 + 10 + WINDOW - 1, WINDOW)[0]).toEqual({
      id: first.id,
      status: 'completed',
      duplicate: true,
    });
    const [second] = store.insertJobs([newJob({ idempotencyKey: 'k' })], T0 + 10 + WINDOW, WINDOW);
    expect(second.duplicate).toBe(false);
    expect(second.id).not.toBe(first.id);
    expect(store.getJob(first.id, false)!.idempotencyKey).toBeNull();
    expect(store.getJob(second.id, false)!.idempotencyKey).toBe('k');
  });

  it('given a long-running job, when its key comes back long after the window, then it is still a duplicate (not finished)', () => {
    const [first] = store.insertJobs([newJob({ idempotencyKey: 'k' })], T0, WINDOW);
    store.claim([{ id: first.id, workerId: 'w1' }], T0);
    expect(store.insertJobs([newJob({ idempotencyKey: 'k' })], T0 + 100 * WINDOW, WINDOW)[0]).toMatchObject({ id: first.id, duplicate: true });
  });
});

describe('due jobs', () => {
  it('given scheduled and retrying jobs, when time passes, then promoteDue moves exactly the due ones, oldest run-at first', () => {
    const ids = store.insertJobs([newJob({ runAt: T0 + 300 }), newJob({ runAt: T0 + 100 }), newJob({ runAt: T0 + 200 })], T0, WINDOW).map((j) => j.id);
    const [{ id: retried }] = store.insertJobs([newJob()], T0, WINDOW);
    store.claim([{ id: retried, workerId: 'w1' }], T0);
    store.endAttempts([end(retried, 1, { status: 'retrying', failures: 1, runAt: T0 + 150, outcome: 'error', error: 'x', result: null })]);
    expect(store.nextDueAt()).toBe(T0 + 100);
    expect(store.promoteDue(T0 + 99, 100)).toEqual([]);
    const promoted = store.promoteDue(T0 + 200, 100);
    expect(promoted.map((c) => [c.id, c.from, c.to])).toEqual([
      [ids[1], 'scheduled', 'queued'],
      [retried, 'retrying', 'queued'],
      [ids[2], 'scheduled', 'queued'],
    ]);
    expect(store.nextDueAt()).toBe(T0 + 300);
    expect(store.promoteDue(T0 + 1000, 100).map((c) => c.id)).toEqual([ids[0]]);
    expect(store.nextDueAt()).toBeNull();
  });

  it('given more due jobs than the limit, then promoteDue moves at most the limit', () => {
    store.insertJobs(Array.from({ length: 5 }, (_, i) => newJob({ runAt: T0 + 1 + i })), T0, WINDOW);
    expect(store.promoteDue(T0 + 100, 2)).toHaveLength(2);
    expect(store.promoteDue(T0 + 100, 10)).toHaveLength(3);
  });
});

describe('listing and counting', () => {
  it('given jobs in two queues, when listed with a keyset cursor, then pages follow one another without gaps or repeats', () => {
    store.insertJobs(Array.from({ length: 7 }, (_, i) => newJob({ queue: i % 2 ? 'b' : 'a', type: i < 3 ? 'x' : 'y' })), T0, WINDOW);
    const seen: number[] = [];
    let after: number | undefined;
    for (;;) {
      const page = store.listJobs({ limit: 3, afterId: after });
      seen.push(...page.map((j) => j.id));
      if (page.length < 3) break;
      after = page[page.length - 1].id;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const newest = store.listJobs({ limit: 3, newestFirst: true });
    expect(newest.map((j) => j.id)).toEqual([7, 6, 5]);
    expect(store.listJobs({ limit: 3, newestFirst: true, afterId: 5 }).map((j) => j.id)).toEqual([4, 3, 2]);
    expect(store.listJobs({ limit: 10, queue: 'b' }).map((j) => j.id)).toEqual([2, 4, 6]);
    expect(store.listJobs({ limit: 10, queue: 'a', type: 'y' }).map((j) => j.id)).toEqual([5, 7]);
    // Listings leave out payloads.
    expect(newest[0].payload.byteLength).toBe(0);
  });

  it('given jobs in several statuses, then status and worker filters, counts and idsWithStatus agree', () => {
    const ids = store.insertJobs([newJob(), newJob(), newJob({ queue: 'q2' })], T0, WINDOW).map((j) => j.id);
    store.claim([{ id: ids[0], workerId: 'w1' }], T0);
    store.setStatus(ids[2], 'queued', 'cancelled', T0);
    expect(store.listJobs({ limit: 10, statuses: ['running', 'cancelled'] }).map((j) => j.id)).toEqual([ids[0], ids[2]]);
    expect(store.listJobs({ limit: 10, workerId: 'w1' }).map((j) => j.id)).toEqual([ids[0]]);
    expect(store.countByQueueAndStatus()).toEqual(
      expect.arrayContaining([
        { queue: 'default', status: 'running', count: 1 },
        { queue: 'default', status: 'queued', count: 1 },
        { queue: 'q2', status: 'cancelled', count: 1 },
      ]),
    );
    expect(store.idsWithStatus('cancelled', undefined, 0, 10)).toEqual([ids[2]]);
    expect(store.idsWithStatus('cancelled', 'default', 0, 10)).toEqual([]);
  });

  it('given queued jobs of mixed priority and a front job, then loadQueued returns them in dispatch order', () => {
    const ids = store.insertJobs([newJob({ priority: 5 }), newJob({ priority: 1 }), newJob({ priority: 5 })], T0, WINDOW).map((j) => j.id);
    store.claim([{ id: ids[2], workerId: 'w1' }], T0);
    store.endAttempts([end(ids[2], 1, { status: 'queued', front: true, outcome: 'returned', result: null })]);
    expect(store.loadQueued().map((j) => [j.id, j.front])).toEqual([
      [ids[1], false],
      [ids[2], true],
      [ids[0], false],
    ]);
  });
});

describe('retention', () => {
  it('given finished and unfinished jobs, when pruned, then only jobs finished before the cut-off go, with their attempts', () => {
    const ids = store.insertJobs([newJob(), newJob(), newJob()], T0, WINDOW).map((j) => j.id);
    store.claim([{ id: ids[0], workerId: 'w1' }, { id: ids[1], workerId: 'w1' }], T0);
    store.endAttempts([end(ids[0], 1, { at: T0 + 10 }), end(ids[1], 1, { at: T0 + 1000 })]);
    expect(store.prune(T0 + 500, 100)).toEqual([{ queue: 'default', status: 'completed', count: 1 }]);
    expect(store.getJob(ids[0], true)).toBeNull();
    expect(store.getJob(ids[1], false)!.status).toBe('completed');
    expect(store.getJob(ids[2], false)!.status).toBe('queued');
    expect(store.prune(T0 + 500, 100)).toEqual([]);
    store.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT count(*) AS n FROM attempts WHERE job_id = ?').get(ids[0])).toEqual({ n: 0 });
    raw.close();
    store = new SqliteJobStore({ path });
  });

  it('given more prunable jobs than the batch, then each call removes at most the batch', () => {
    const ids = store.insertJobs(Array.from({ length: 5 }, () => newJob()), T0, WINDOW).map((j) => j.id);
    for (const id of ids) store.setStatus(id, 'queued', 'cancelled', T0);
    expect(store.prune(T0 + 1, 2)).toHaveLength(2);
    expect(store.prune(T0 + 1, 10)).toHaveLength(3);
  });
});

describe('refusing files that are not ours', () => {
  it('given a SQLite file of another application, when opened, then refused with a clear message and left untouched', () => {
    const foreign = join(dir.path, 'other.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES (\'ada\')');
    db.close();
    const error = refusal(() => new SqliteJobStore({ path: foreign }));
    expect(error.code).toBe(ErrorCode.FailedPrecondition);
    expect(error.message).toContain(foreign);
    expect(error.message).toContain('is not a Nucleus database');
    const check = new Database(foreign, { readonly: true });
    expect(check.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all()).toEqual([{ name: 'customers' }]);
    expect(check.pragma('user_version', { simple: true })).toBe(0);
    check.close();
  });

  it('given a file that is not SQLite at all, when opened, then refused as not a Nucleus database', () => {
    const text = join(dir.path, 'notes.txt');
    writeFileSync(text, 'these are not the rows you are looking for\n'.repeat(200));
    const error = refusal(() => new SqliteJobStore({ path: text }));
    expect(error.code).toBe(ErrorCode.FailedPrecondition);
    expect(error.message).toContain('is not a Nucleus database');
  });

  it('given a Nucleus file written by a newer version, when opened, then refused naming both schema versions', () => {
    store.close();
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    db.close();
    const error = refusal(() => new SqliteJobStore({ path }));
    expect(error.code).toBe(ErrorCode.FailedPrecondition);
    expect(error.message).toContain(`schema version ${MIGRATIONS.length + 5}`);
    expect(error.message).toContain(`(${MIGRATIONS.length})`);
    expect(error.message).toContain('upgrade');
    const fixed = new Database(path);
    fixed.pragma(`user_version = ${MIGRATIONS.length}`);
    fixed.close();
    store = new SqliteJobStore({ path });
  });

  it('given an empty new path, when opened, then a Nucleus database is created there', () => {
    const fresh = join(dir.path, 'fresh.db');
    const s = new SqliteJobStore({ path: fresh });
    s.close();
    expect(existsSync(fresh)).toBe(true);
    const raw = new Database(fresh, { readonly: true });
    expect(raw.pragma('application_id', { simple: true })).toBe(0x4e55434c);
    expect(raw.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    raw.close();
  });
});

describe('one opener at a time', () => {
  it('given an open store, when the same file is opened again in this process, then it is refused naming the holder, changes nothing, and opens once the first is closed', () => {
    const id = store.insertJobs([newJob()], T0, WINDOW)[0].id;
    const error = refusal(() => new SqliteJobStore({ path }));
    expect(error.code).toBe(ErrorCode.Refused);
    expect(error.message).toContain(`the job store ${path} is in use by process ${process.pid} on `);
    expect(store.getJob(id, false)!.status).toBe('queued');
    store.close();
    store = new SqliteJobStore({ path });
    expect(store.getJob(id, false)!.status).toBe('queued');
  });

  it('given a store that failed to open (not ours), then the lock is released with it', () => {
    const text = join(dir.path, 'notes.txt');
    writeFileSync(text, 'not a database\n'.repeat(200));
    expect(refusal(() => new SqliteJobStore({ path: text })).code).toBe(ErrorCode.FailedPrecondition);
    expect(refusal(() => new SqliteJobStore({ path: text })).code).toBe(ErrorCode.FailedPrecondition);
  });
});
