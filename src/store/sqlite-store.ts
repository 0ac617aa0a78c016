/**
 * The SQLite JobStore: the only module with SQL in it.
 *
 * Guarantees:
 * - WAL journal; `synchronous=NORMAL` (default) survives a crash of the master process at any
 *   moment, `FULL` also a power loss (each commit is fsynced).
 * - Every public method is one transaction, built from prepared statements.
 * - Ending an attempt is fenced: `WHERE status = 'running' AND attempt = ?`. A stale lease
 *   changes nothing.
 * - A file that is not a Nucleus database, or whose schema is newer than this build, is refused.
 * - One open store per file at a time, across processes: a second opener is refused REFUSED,
 *   naming the holder (store-lock.ts), before it touches the file.
 * - Disk trouble surfaces as NucleusError: a full disk is RESOURCE_EXHAUSTED, a read-only or
 *   failing disk UNAVAILABLE; the failed transaction is rolled back whole.
 */
import { existsSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as DB, RunResult, Statement } from 'better-sqlite3';
import { ErrorCode, NucleusError } from '../errors.js';
import { isTerminal, type AttemptRecord, type JobRecord, type JobStatus, type NewJob } from '../core/job.js';
import { APPLICATION_ID, MIGRATIONS } from './migrations.js';
import { IdMark, idMarkPath } from './id-mark.js';
import { lockPath, lockStore, type StoreHolder } from './store-lock.js';
import { hostname } from 'node:os';
import type {
  AttemptEnd,
  Claim,
  ErrorGroup,
  InsertedJob,
  JobStore,
  LeasedJob,
  ListFilter,
  ProgressUpdate,
  QueueStatusCount,
  RunnableJob,
  StatusChange,
} from './job-store.js';

export type SyncMode = 'normal' | 'full';

export interface SqliteStoreOptions {
  /** Path of the database file (created if missing), or `:memory:`. */
  path: string;
  /** `normal` survives a process crash; `full` also power loss, at a cost per commit. */
  sync?: SyncMode;
  /** Native addon, for a single-file build that ships it as an asset. */
  nativeBinding?: string | object;
}

let defaultNativeBinding: (() => string | object) | null = null;

/**
 * Where the native addon comes from when `nativeBinding` is not given: the single-file build
 * sets a loader here before any command runs, because its addon is not on disk beside the code.
 * The loader is called when a store is opened, so commands that open none never load it.
 */
export function setNativeBinding(loader: (() => string | object) | null): void {
  defaultNativeBinding = loader;
}

/** The columns a lease is made of, in this order (raw rows: no object per row from the driver). */
const CLAIM_COLUMNS = `id, attempt, failures, queue, type, priority, payload, content_type, timeout_ms,
  max_retries, backoff_base_ms, backoff_cap_ms, created_at, run_at`;
type ClaimRow = [number, number, number, string, string, number, Buffer, string, number, number, number, number, number, number];
/** A running job as loaded at start-up: the same columns, then its worker and start. */
type RunningRow = [...ClaimRow, string, number];

const leaseFromRow = (r: ClaimRow | RunningRow, workerId: string, startedAt: number): LeasedJob => ({
  id: r[0],
  attempt: r[1],
  failures: r[2],
  queue: r[3],
  type: r[4],
  priority: r[5],
  payload: r[6],
  contentType: r[7],
  timeoutMs: r[8],
  maxRetries: r[9],
  backoffBaseMs: r[10],
  backoffCapMs: r[11],
  createdAt: r[12],
  runAt: r[13],
  workerId,
  startedAt,
});

const INSERT_COLUMNS = `(queue, type, payload, content_type, priority, max_retries, timeout_ms, backoff_base_ms, backoff_cap_ms,
  run_at, idempotency_key, status, created_at, updated_at)`;
const INSERT_ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
/** Rows per multi-row INSERT: fewer calls into SQLite (about a quarter less time per job). */
const INSERT_ROWS = 16;

const initialStatusAt = (job: NewJob, now: number): JobStatus => (job.runAt > now ? 'scheduled' : 'queued');

const insertParams = (job: NewJob, now: number): unknown[] => [
  job.queue,
  job.type,
  asBuffer(job.payload),
  job.contentType,
  job.priority,
  job.maxRetries,
  job.timeoutMs,
  job.backoffBaseMs,
  job.backoffCapMs,
  job.runAt,
  job.idempotencyKey,
  initialStatusAt(job, now),
  now,
  now,
];

/**
 * A row of INSERT_ROWS jobs alike in everything but payload and run time (the jobs of one batch,
 * usually) binds what they share once, as named parameters, and two values per job. Binding
 * values, texts above all, is much of what an INSERT costs: in batches of 256 this takes the
 * store's insert from 1.9 to 1.3 µs per job, commit included (`bench/micro/insert.mjs`).
 */
const ALIKE_ROW = '(@queue, @type, ?, @contentType, @priority, @maxRetries, @timeoutMs, @backoffBaseMs, @backoffCapMs, ?, NULL, @status, @now, @now)';

const alike = (a: NewJob, b: NewJob, now: number): boolean =>
  a.queue === b.queue &&
  a.type === b.type &&
  a.contentType === b.contentType &&
  a.priority === b.priority &&
  a.maxRetries === b.maxRetries &&
  a.timeoutMs === b.timeoutMs &&
  a.backoffBaseMs === b.backoffBaseMs &&
  a.backoffCapMs === b.backoffCapMs &&
  initialStatusAt(a, now) === initialStatusAt(b, now);

const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Translates SQLite's failures into errors a person can act on. */
function storeError(error: unknown): NucleusError {
  if (error instanceof NucleusError) return error;
  const code = (error as { code?: string }).code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'SQLITE_FULL') {
    return new NucleusError(ErrorCode.ResourceExhausted, `the job store is full (disk full): ${message}`, { cause: error });
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_BUSY') {
    return new NucleusError(ErrorCode.Unavailable, `the job store cannot be written (${code}): ${message}`, { cause: error });
  }
  return new NucleusError(ErrorCode.Internal, `job store error: ${message}`, { cause: error });
}

interface JobRow {
  id: number;
  queue: string;
  type: string;
  payload: Buffer;
  content_type: string;
  priority: number;
  max_retries: number;
  timeout_ms: number;
  backoff_base_ms: number;
  backoff_cap_ms: number;
  run_at: number;
  idempotency_key: string | null;
  status: JobStatus;
  front: number;
  attempt: number;
  failures: number;
  worker_id: string | null;
  result: Buffer | null;
  result_content_type: string | null;
  error: string | null;
  progress: number;
  progress_message: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  started_at: number | null;
}

const toRecord = (row: JobRow): JobRecord => ({
  id: row.id,
  queue: row.queue,
  type: row.type,
  payload: row.payload ?? new Uint8Array(),
  contentType: row.content_type,
  priority: row.priority,
  maxRetries: row.max_retries,
  timeoutMs: row.timeout_ms,
  backoffBaseMs: row.backoff_base_ms,
  backoffCapMs: row.backoff_cap_ms,
  runAt: row.run_at,
  idempotencyKey: row.idempotency_key,
  status: row.status,
  attempt: row.attempt,
  failures: row.failures,
  workerId: row.worker_id,
  result: row.result,
  resultContentType: row.result_content_type,
  error: row.error,
  progress: row.progress,
  progressMessage: row.progress_message,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  finishedAt: row.finished_at,
});

export class SqliteJobStore implements JobStore {
  private readonly db: DB;
  private readonly stmt: ReturnType<SqliteJobStore['prepareAll']>;
  private readonly listCache = new Map<string, Statement>();
  private readonly path: string;
  private readonly releaseLock: () => void;
  /** The id high-water mark beside the store (id-mark.ts); none for `:memory:`. */
  private readonly idMark: IdMark | null;
  /** Ids must start above this (from the mark); 0 once applied or when not needed. */
  private idFloor = 0;

  constructor(options: SqliteStoreOptions) {
    this.path = options.path;
    const nativeBinding = options.nativeBinding ?? defaultNativeBinding?.();
    // Taken before the store is opened, so that a refused second opener changes nothing.
    const lock = options.path === ':memory:' ? null : lockStore(options.path, nativeBinding);
    if (lock && !lock.ok && lock.busy) throw inUse(options.path, lock.holder);
    // A lock that cannot be written (a read-only or full disk) leaves a store that cannot be
    // written either; it still opens, for reads, and says what is wrong when a write is tried.
    this.releaseLock = lock?.ok ? lock.release : () => undefined;
    // Looked at before SQLite opens the store (which makes a WAL): a store left by a crash has one.
    const walExisted = options.path !== ':memory:' && existsSync(`${options.path}-wal`);
    try {
      this.db = new Database(options.path, nativeBinding ? { nativeBinding: nativeBinding as string } : {});
    } catch (error) {
      this.releaseLock();
      // Worded as checkIdentity's refusal below: both are a file or directory that cannot be written.
      const code = (error as { code?: string }).code || 'error';
      throw new NucleusError(
        ErrorCode.Unavailable,
        `cannot open the job store ${options.path} read-write (${code}: ${(error as Error).message}); check that the file and its directory are writable`,
        { cause: error },
      );
    }
    try {
      this.checkIdentity(options.path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('cache_size = -32000');
      this.db.pragma('temp_store = MEMORY');
      this.migrate();
      this.stmt = this.prepareAll();
      this.idMark = options.path === ':memory:' ? null : new IdMark(idMarkPath(options.path), options.sync === 'full');
      const mark = this.idMark?.read() ?? 0;
      // With its WAL the store's sequence is whole (a crash loses nothing of it); without one, a
      // mark above the sequence means the WAL went missing after a crash (a clean close leaves
      // the mark equal to the sequence).
      if (!walExisted) this.resumeIdsAfter(mark);
    } catch (error) {
      this.db.close();
      this.releaseLock();
      throw error instanceof NucleusError ? error : storeError(error);
    }
  }

  /**
   * Never hands out an id at or below `mark`: when the store's own sequence is behind it (the WAL
   * was lost), the first insert moves the sequence up to it. Not here: a store on a read-only or
   * full disk must still open for reads.
   */
  private resumeIdsAfter(mark: number): void {
    const seq = Number(this.stmt.lastId.get() ?? 0);
    if (mark > seq) this.idFloor = mark;
  }

  /** Inside an insert's transaction: applies the floor resumeIdsAfter found (insertJobs drops it once committed). */
  private applyIdFloor(): void {
    if (this.idFloor === 0) return;
    if (this.db.prepare(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'jobs' AND seq < ?`).run(this.idFloor, this.idFloor).changes === 0) {
      this.db.prepare(`INSERT INTO sqlite_sequence (name, seq) SELECT 'jobs', ? WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'jobs')`).run(this.idFloor);
    }
  }

  /** Refuses files that are not ours, or that a newer Nucleus wrote. */
  private checkIdentity(path: string): void {
    let appId: number;
    let version: number;
    let tables: number;
    try {
      appId = this.db.pragma('application_id', { simple: true }) as number;
      version = this.db.pragma('user_version', { simple: true }) as number;
      tables = (this.db.prepare(`SELECT count(*) AS n FROM sqlite_master`).get() as { n: number }).n;
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      // Only a file SQLite cannot read as a database is "not ours"; a store it cannot open (a
      // read-only directory, a missing -shm it may not create) is a disk problem, and says so.
      if (code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT') {
        throw new NucleusError(
          ErrorCode.Unavailable,
          `cannot open the job store ${path} read-write (${code || 'error'}: ${(error as Error).message}); check that the file and its directory are writable`,
          { cause: error },
        );
      }
      throw new NucleusError(ErrorCode.FailedPrecondition, `${path} is not a Nucleus database (${(error as Error).message})`, {
        cause: error,
      });
    }
    if (tables > 0 && appId !== APPLICATION_ID) {
      throw new NucleusError(ErrorCode.FailedPrecondition, `${path} is not a Nucleus database (it has other tables); refusing to use it`);
    }
    if (version > MIGRATIONS.length) {
      throw new NucleusError(
        ErrorCode.FailedPrecondition,
        `${path} has schema version ${version}, newer than this build of Nucleus understands (${MIGRATIONS.length}); upgrade nucleus`,
      );
    }
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    for (let version = current; version < MIGRATIONS.length; version++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[version]);
        this.db.pragma(`application_id = ${APPLICATION_ID}`);
        this.db.pragma(`user_version = ${version + 1}`);
      })();
    }
  }

  private prepareAll() {
    const db = this.db;
    return {
      transaction: { begin: db.prepare('BEGIN'), commit: db.prepare('COMMIT'), rollback: db.prepare('ROLLBACK') },
      savepoint: { begin: db.prepare('SAVEPOINT nucleus'), commit: db.prepare('RELEASE nucleus'), rollback: db.prepare('ROLLBACK TO nucleus') },
      insert: db.prepare(`INSERT INTO jobs ${INSERT_COLUMNS} VALUES ${INSERT_ROW}`),
      insertMany: db.prepare(`INSERT INTO jobs ${INSERT_COLUMNS} VALUES ${Array(INSERT_ROWS).fill(INSERT_ROW).join(', ')}`),
      insertAlike: db.prepare(`INSERT INTO jobs ${INSERT_COLUMNS} VALUES ${Array(INSERT_ROWS).fill(ALIKE_ROW).join(', ')}`),
      byKey: db.prepare(`SELECT id, status, finished_at FROM jobs WHERE idempotency_key = ?`),
      releaseKey: db.prepare(`UPDATE jobs SET idempotency_key = NULL WHERE id = ?`),
      // One statement claims every job a dispatch round gives one worker; ids travel as a JSON array.
      claim: db
        .prepare(`UPDATE jobs SET status = 'running', attempt = attempt + 1, worker_id = ?, front = 0,
            progress = 0, progress_message = NULL, started_at = ?, updated_at = ?
          FROM (SELECT value AS claimed FROM json_each(?)) WHERE jobs.id = claimed AND status = 'queued'
          RETURNING ${CLAIM_COLUMNS}`)
        .raw(true),
      // An attempt's row is written once, when it ends; a running attempt is read from the job's row.
      insertAttempt: db.prepare(`INSERT OR REPLACE INTO attempts (job_id, number, worker_id, started_at, finished_at, outcome, error)
        VALUES (?, ?, ?, ?, ?, ?, ?)`),
      endJob: db.prepare(`UPDATE jobs SET status = ?, failures = ?, run_at = ?, front = ?, error = ?, result = ?,
          result_content_type = ?, updated_at = ?, finished_at = ?
        WHERE id = ? AND status = 'running' AND attempt = ?`),
      dueList: db.prepare(`SELECT id, queue, type, priority, status FROM jobs
        WHERE status IN ('scheduled', 'retrying') AND run_at <= ? ORDER BY run_at LIMIT ?`),
      promote: db.prepare(`UPDATE jobs SET status = 'queued', updated_at = ? WHERE id = ?`),
      nextDue: db.prepare(`SELECT min(run_at) AS t FROM jobs WHERE status IN ('scheduled', 'retrying')`),
      setStatus: db.prepare(`UPDATE jobs SET status = ?, updated_at = ?, finished_at = ?, front = 0
        WHERE id = ? AND status = ? RETURNING id, queue, type, priority`),
      redrive: db.prepare(`UPDATE jobs SET status = 'queued', failures = 0, run_at = ?, updated_at = ?, finished_at = NULL,
          error = NULL, result = NULL, result_content_type = NULL, front = 0
        WHERE id = ? AND status = ? RETURNING id, queue, type, priority`),
      get: db.prepare(`SELECT * FROM jobs WHERE id = ?`),
      attempts: db.prepare(`SELECT number, worker_id, started_at, finished_at, outcome, error FROM attempts
        WHERE job_id = ? ORDER BY number`),
      idsWithStatus: db.prepare(`SELECT id FROM jobs WHERE status = ? AND status <> 'completed' AND id > ? ORDER BY id LIMIT ?`),
      idsWithStatusQueue: db.prepare(`SELECT id FROM jobs WHERE status = ? AND status <> 'completed' AND id > ? AND queue = ? ORDER BY id LIMIT ?`),
      counts: db.prepare(`SELECT queue, status, count(*) AS count FROM jobs GROUP BY queue, status`),
      queued: db.prepare(`SELECT id, queue, type, priority, front FROM jobs WHERE status = 'queued' AND status <> 'completed'
        ORDER BY priority, front DESC, id`),
      running: db
        .prepare(`SELECT ${CLAIM_COLUMNS}, worker_id, started_at FROM jobs WHERE status = 'running' AND status <> 'completed'`)
        .raw(true),
      progress: db.prepare(`UPDATE jobs SET progress = ?, progress_message = ?, updated_at = ?
        WHERE id = ? AND status = 'running' AND attempt = ?`),
      setPaused: db.prepare(`INSERT INTO queues (name, paused) VALUES (?, ?)
        ON CONFLICT(name) DO UPDATE SET paused = excluded.paused`),
      paused: db.prepare(`SELECT name FROM queues WHERE paused = 1`),
      prune: db.prepare(`DELETE FROM jobs WHERE id IN
          (SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ? ORDER BY finished_at LIMIT ?)
        RETURNING id, queue, status`),
      pruneAttempts: db.prepare(`DELETE FROM attempts WHERE job_id = ?`),
      createdAt: db.prepare(`SELECT created_at FROM jobs WHERE id = ?`),
      lastId: db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'jobs'`).pluck(),
      recordSecret: db.prepare(`INSERT INTO worker_sessions (worker_id, secret_hash, connected_at) VALUES (?, ?, ?)
        ON CONFLICT(worker_id) DO UPDATE SET secret_hash = excluded.secret_hash, connected_at = excluded.connected_at`),
      secrets: db.prepare(`SELECT worker_id, secret_hash FROM worker_sessions`).raw(true),
    };
  }

  /**
   * Runs fn in one transaction (a savepoint when already in one), as better-sqlite3's
   * `db.transaction(fn)()` does, but with statements prepared once: wrapping a new function per
   * call cost 1.6% of the master's time in the drain.
   */
  private tx<T>(fn: () => T): T {
    const nested = this.db.inTransaction;
    const { begin, commit, rollback } = nested ? this.stmt.savepoint : this.stmt.transaction;
    try {
      begin.run();
      try {
        const result = fn();
        commit.run();
        return result;
      } catch (error) {
        if (this.db.inTransaction) {
          rollback.run();
          if (nested) commit.run();
        }
        throw error;
      }
    } catch (error) {
      throw storeError(error);
    }
  }

  insertJobs(jobs: NewJob[], now: number, idempotencyWindowMs: number): InsertedJob[] {
    const committed = this.tx(() => {
      this.applyIdFloor();
      const inserted: InsertedJob[] = new Array(jobs.length);
      let i = 0;
      while (i < jobs.length) {
        // A run of INSERT_ROWS jobs without idempotency keys goes in one statement; the rows get
        // consecutive ids (one writer), the last being lastInsertRowid.
        let run = 0;
        while (run < INSERT_ROWS && i + run < jobs.length && jobs[i + run].idempotencyKey === null) run++;
        if (run < INSERT_ROWS) {
          inserted[i] = this.insertOne(jobs[i], now, idempotencyWindowMs);
          i++;
          continue;
        }
        const last = Number(this.insertRun(jobs, i, now).lastInsertRowid);
        for (let k = 0; k < run; k++) inserted[i + k] = { id: last - run + 1 + k, status: initialStatusAt(jobs[i + k], now), duplicate: false };
        i += run;
      }
      // Before the commit, so before any of these ids is acknowledged (ids only grow: the last is the highest).
      if (this.idMark) this.idMark.cover(Number(this.stmt.lastId.get()));
      return inserted;
    });
    this.idFloor = 0;
    return committed;
  }

  /** Inserts jobs[first .. first + INSERT_ROWS) in one statement, jobs without idempotency keys. */
  private insertRun(jobs: NewJob[], first: number, now: number): RunResult {
    const head = jobs[first];
    let k = first + 1;
    while (k < first + INSERT_ROWS && alike(jobs[k], head, now)) k++;
    if (k < first + INSERT_ROWS) {
      const params: unknown[] = [];
      for (let j = first; j < first + INSERT_ROWS; j++) params.push(...insertParams(jobs[j], now));
      return this.stmt.insertMany.run(params);
    }
    const shared = {
      queue: head.queue,
      type: head.type,
      contentType: head.contentType,
      priority: head.priority,
      maxRetries: head.maxRetries,
      timeoutMs: head.timeoutMs,
      backoffBaseMs: head.backoffBaseMs,
      backoffCapMs: head.backoffCapMs,
      status: initialStatusAt(head, now),
      now,
    };
    const params: unknown[] = [shared];
    for (let j = first; j < first + INSERT_ROWS; j++) params.push(asBuffer(jobs[j].payload), jobs[j].runAt);
    return this.stmt.insertAlike.run(...params);
  }

  private insertOne(job: NewJob, now: number, idempotencyWindowMs: number): InsertedJob {
    const { insert, byKey, releaseKey } = this.stmt;
    if (job.idempotencyKey !== null) {
      const existing = byKey.get(job.idempotencyKey) as { id: number; status: JobStatus; finished_at: number | null } | undefined;
      if (existing) {
        const expired = isTerminal(existing.status) && (existing.finished_at ?? now) + idempotencyWindowMs <= now;
        if (!expired) return { id: existing.id, status: existing.status, duplicate: true };
        releaseKey.run(existing.id);
      }
    }
    const info = insert.run(insertParams(job, now));
    return { id: Number(info.lastInsertRowid), status: initialStatusAt(job, now), duplicate: false };
  }

  claim(claims: Claim[], now: number): LeasedJob[] {
    const { claim } = this.stmt;
    const byWorker = new Map<string, number[]>();
    for (const { id, workerId } of claims) {
      const ids = byWorker.get(workerId);
      if (ids) ids.push(id);
      else byWorker.set(workerId, [id]);
    }
    return this.tx(() => {
      const leased: LeasedJob[] = [];
      for (const [workerId, ids] of byWorker) {
        for (const row of claim.all(workerId, now, now, JSON.stringify(ids)) as ClaimRow[]) leased.push(leaseFromRow(row, workerId, now));
      }
      return leased;
    });
  }

  endAttempts(ends: AttemptEnd[]): boolean[] {
    const { endJob, insertAttempt } = this.stmt;
    return this.tx(() =>
      ends.map((end) => {
        const { changes } = endJob.run(
          end.status,
          end.failures,
          end.runAt,
          end.front ? 1 : 0,
          end.error,
          end.result ? asBuffer(end.result) : null,
          end.resultContentType,
          end.at,
          isTerminal(end.status) ? end.at : null,
          end.id,
          end.attempt,
        );
        if (changes === 0) return false;
        // The attempt that completes the job is described by the job row (see getJob).
        if (end.status !== 'completed') {
          insertAttempt.run(end.id, end.attempt, end.workerId, end.startedAt, end.at, end.outcome, end.error);
        }
        return true;
      }),
    );
  }

  promoteDue(now: number, limit: number): StatusChange[] {
    const { dueList, promote } = this.stmt;
    return this.tx(() => {
      const rows = dueList.all(now, limit) as Array<{ id: number; queue: string; type: string; priority: number; status: JobStatus }>;
      return rows.map((row) => {
        promote.run(now, row.id);
        return { id: row.id, queue: row.queue, type: row.type, priority: row.priority, from: row.status, to: 'queued', front: false };
      });
    });
  }

  nextDueAt(): number | null {
    return (this.stmt.nextDue.get() as { t: number | null }).t;
  }

  setStatus(id: number, from: JobStatus, to: JobStatus, now: number): StatusChange | null {
    return this.setStatuses([id], from, to, now)[0] ?? null;
  }

  setStatuses(ids: number[], from: JobStatus, to: JobStatus, now: number): StatusChange[] {
    return this.tx(() => {
      const changes: StatusChange[] = [];
      for (const id of ids) {
        const row = (
          to === 'queued' ? this.stmt.redrive.get(now, now, id, from) : this.stmt.setStatus.get(to, now, isTerminal(to) ? now : null, id, from)
        ) as { id: number; queue: string; type: string; priority: number } | undefined;
        if (row) changes.push({ id: row.id, queue: row.queue, type: row.type, priority: row.priority, from, to, front: false });
      }
      return changes;
    });
  }

  getJob(id: number, withAttempts: boolean): JobRecord | null {
    const row = this.stmt.get.get(id) as JobRow | undefined;
    if (!row) return null;
    const job = toRecord(row);
    if (withAttempts) {
      const rows = this.stmt.attempts.all(id) as Array<{
        number: number;
        worker_id: string;
        started_at: number;
        finished_at: number | null;
        outcome: AttemptRecord['outcome'];
        error: string | null;
      }>;
      job.attempts = rows.map((a) => ({
        number: a.number,
        workerId: a.worker_id,
        startedAt: a.started_at,
        finishedAt: a.finished_at,
        outcome: a.outcome,
        error: a.error,
      }));
      // The current attempt has no row while it runs, nor once it completed the job: the job row says it.
      const described = row.status === 'running' || (row.status === 'completed' && !rows.some((a) => a.number === row.attempt));
      if (described && row.worker_id !== null) {
        job.attempts.push({
          number: row.attempt,
          workerId: row.worker_id,
          startedAt: row.started_at ?? row.updated_at,
          finishedAt: row.status === 'running' ? null : row.finished_at,
          outcome: row.status === 'running' ? 'running' : 'completed',
          error: null,
        });
      }
    }
    return job;
  }

  listJobs(filter: ListFilter): JobRecord[] {
    const { where, params } = listWhere(filter, true);
    const sql = `SELECT id, queue, type, NULL AS payload, content_type, priority, max_retries, timeout_ms, backoff_base_ms,
        backoff_cap_ms, run_at, idempotency_key, status, front, attempt, failures, worker_id, NULL AS result,
        result_content_type, error, progress, progress_message, created_at, updated_at, finished_at
      FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY id ${filter.newestFirst ? 'DESC' : 'ASC'} LIMIT ?`;
    return (this.cached(sql).all(...params, filter.limit) as JobRow[]).map(toRecord);
  }

  countJobs(filter: ListFilter, cap: number): number {
    const { where, params } = listWhere(filter, false);
    // Counting under a LIMIT bounds the work on a huge store; the caller shows "cap or more".
    const sql = `SELECT count(*) AS n FROM (SELECT 1 FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} LIMIT ?)`;
    return (this.cached(sql).get(...params, cap) as { n: number }).n;
  }

  errorGroups(statuses: JobStatus[], queue: string | undefined, limit: number): ErrorGroup[] {
    const { where, params } = listWhere({ statuses, queue, limit }, false);
    // Grouped from the error index alone (status, error, id); each group's time is one lookup after.
    const sql = `SELECT coalesce(error, '') AS error, count(*) AS count, max(id) AS latestId
      FROM jobs WHERE ${where.join(' AND ')} GROUP BY error ORDER BY count DESC, latestId DESC LIMIT ?`;
    const updatedAt = this.cached('SELECT updated_at AS t FROM jobs WHERE id = ?');
    return (this.cached(sql).all(...params, limit) as Array<Omit<ErrorGroup, 'latestAt'>>).map((g) => ({
      ...g,
      latestAt: (updatedAt.get(g.latestId) as { t: number } | undefined)?.t ?? 0,
    }));
  }

  private cached(sql: string): Statement {
    let statement = this.listCache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.listCache.set(sql, statement);
    }
    return statement;
  }

  idsWithStatus(status: JobStatus, queue: string | undefined, afterId: number, limit: number): number[] {
    const rows = (
      queue ? this.stmt.idsWithStatusQueue.all(status, afterId, queue, limit) : this.stmt.idsWithStatus.all(status, afterId, limit)
    ) as Array<{ id: number }>;
    return rows.map((r) => r.id);
  }

  countByQueueAndStatus(): QueueStatusCount[] {
    return this.stmt.counts.all() as QueueStatusCount[];
  }

  loadQueued(): RunnableJob[] {
    return (this.stmt.queued.all() as Array<Omit<RunnableJob, 'front'> & { front: number }>).map((r) => ({
      id: r.id,
      queue: r.queue,
      type: r.type,
      priority: r.priority,
      front: r.front === 1,
    }));
  }

  loadRunning(): LeasedJob[] {
    return (this.stmt.running.all() as RunningRow[]).map((r) => leaseFromRow(r, r[14], r[15]));
  }

  updateProgress(updates: ProgressUpdate[], now: number): void {
    const { progress } = this.stmt;
    this.tx(() => {
      for (const u of updates) progress.run(u.progress, u.message, now, u.id, u.attempt);
    });
  }

  setPaused(queue: string, paused: boolean): void {
    this.tx(() => this.stmt.setPaused.run(queue, paused ? 1 : 0));
  }

  pausedQueues(): string[] {
    return (this.stmt.paused.all() as Array<{ name: string }>).map((r) => r.name);
  }

  prune(before: number, limit: number): QueueStatusCount[] {
    return this.tx(() => {
      const rows = this.stmt.prune.all(before, limit) as Array<{ id: number; queue: string; status: JobStatus }>;
      for (const row of rows) this.stmt.pruneAttempts.run(row.id);
      return rows.map((r) => ({ queue: r.queue, status: r.status, count: 1 }));
    });
  }

  createdAt(id: number): number | null {
    return (this.stmt.createdAt.get(id) as { created_at: number } | undefined)?.created_at ?? null;
  }

  recordWorkerSecret(workerId: string, secretHash: string, now: number): void {
    this.tx(() => this.stmt.recordSecret.run(workerId, secretHash, now));
  }

  workerSecrets(): Map<string, string> {
    return new Map(this.stmt.secrets.all() as Array<[string, string]>);
  }

  checkWritable(minFreeBytes = 0): void {
    this.tx(() => this.db.prepare(`UPDATE queues SET paused = paused WHERE 0`).run());
    // The probe above writes no page, so it passes on a full disk; the free space says whether a
    // submit can be written. (A store in memory has no disk to run out of.)
    if (minFreeBytes <= 0 || this.path === ':memory:' || this.path === '') return;
    const dir = dirname(resolve(this.path));
    let free: number;
    try {
      const fs = statfsSync(dir);
      free = fs.bavail * fs.bsize;
    } catch {
      return; // no answer about space is not a reason to refuse traffic
    }
    if (free < minFreeBytes) {
      throw new NucleusError(
        ErrorCode.ResourceExhausted,
        `the job store is full (disk full): ${free} bytes free on the disk of ${dir}, under the ${minFreeBytes} a submit of the largest job needs`,
      );
    }
  }

  /** How many WAL pages make SQLite checkpoint by itself inside a commit (1000 by default). */
  setAutoCheckpoint(pages: number): void {
    this.db.pragma(`wal_autocheckpoint = ${Math.max(0, Math.floor(pages))}`);
  }

  close(): void {
    if (!this.db.open) return;
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      // Everything is in the main file now: the exact last id, so that a clean restart leaves no gap.
      this.idMark?.write(Number(this.stmt.lastId.get() ?? 0));
    } catch {
      // A full or failing disk: the WAL stays as it is and the next open replays it; closing must still succeed.
    } finally {
      this.db.close();
      this.releaseLock();
    }
  }
}

/**
 * Throws REFUSED, naming the holder, when another opener holds the store at `path`, and creates
 * nothing: a master asks this first, so that a second master on a store in use hears that, not
 * that its ports are taken (which they often are, by the first).
 */
export function refuseIfInUse(path: string, nativeBinding?: string | object): void {
  // A holder always has the lock file: without one, nobody holds the store.
  if (path === ':memory:' || !existsSync(lockPath(path))) return;
  const lock = lockStore(path, nativeBinding ?? defaultNativeBinding?.());
  if (lock.ok) lock.release();
  else if (lock.busy) throw inUse(path, lock.holder);
}

function inUse(path: string, holder: StoreHolder | null): NucleusError {
  const who = holder
    ? `process ${holder.pid} on ${holder.host}${holder.host === hostname() ? ' (this host)' : ''}, since ${new Date(holder.since).toISOString()}`
    : 'another process';
  return new NucleusError(ErrorCode.Refused, `the job store ${path} is in use by ${who}; stop that one first, or use another store file`);
}

const FAILING = new Set<JobStatus>(['failed', 'dead_letter', 'retrying']);

/** The WHERE terms of a job listing; `cursor` adds the keyset condition. */
function listWhere(filter: ListFilter, cursor: boolean): { where: string[]; params: Array<string | number> } {
  const where: string[] = [];
  const params: Array<string | number> = [];
  if (filter.statuses && filter.statuses.length > 0) {
    where.push(`status IN (${filter.statuses.map(() => '?').join(', ')})`);
    params.push(...filter.statuses);
    // Lets SQLite use the partial status index (it leaves completed jobs out), and for failing
    // statuses the error index (it holds them only): a bound parameter cannot show that it applies.
    if (!filter.statuses.includes('completed')) where.push(`status <> 'completed'`);
    if (filter.statuses.every((s) => FAILING.has(s))) where.push(`status IN ('failed', 'dead_letter', 'retrying')`);
  }
  const equal: Array<[string, string | undefined]> = [
    ['queue', filter.queue],
    ['type', filter.type],
    ['worker_id', filter.workerId],
    ['error', filter.error],
  ];
  for (const [column, value] of equal) {
    if (value === undefined || value === '') continue;
    where.push(`${column} = ?`);
    params.push(value);
  }
  if (filter.errorContains) {
    where.push(`error LIKE ? ESCAPE '\\'`);
    params.push(`%${filter.errorContains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  if (cursor && filter.afterId !== undefined) {
    where.push(filter.newestFirst ? 'id < ?' : 'id > ?');
    params.push(filter.afterId);
  }
  return { where, params };
}
