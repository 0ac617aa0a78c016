/**
 * Numbered schema migrations, applied in order at start-up inside one transaction each.
 * `PRAGMA user_version` records the last applied; `PRAGMA application_id` marks the file as
 * Nucleus's, so that a foreign SQLite file is refused instead of being written into.
 *
 * Index choices (the hot path is insert -> claim -> end): `jobs_status` serves listing by status
 * and loading queued/running jobs at start; `jobs_due` (partial) finds the next scheduled or
 * retrying job without a scan; `jobs_finished` (partial) lets retention prune in small batches.
 */
export const APPLICATION_ID = 0x4e55434c; // "NUCL"

export const MIGRATIONS: readonly string[] = [
  // 1: jobs, their attempts, and queue settings.
  `
  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    type TEXT NOT NULL,
    payload BLOB NOT NULL,
    content_type TEXT NOT NULL,
    priority INTEGER NOT NULL,
    max_retries INTEGER NOT NULL,
    timeout_ms INTEGER NOT NULL,
    backoff_base_ms INTEGER NOT NULL,
    backoff_cap_ms INTEGER NOT NULL,
    run_at INTEGER NOT NULL,
    idempotency_key TEXT,
    status TEXT NOT NULL,
    front INTEGER NOT NULL DEFAULT 0,
    attempt INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    worker_id TEXT,
    result BLOB,
    result_content_type TEXT,
    error TEXT,
    progress REAL NOT NULL DEFAULT 0,
    progress_message TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER
  );
  CREATE UNIQUE INDEX jobs_idempotency ON jobs(idempotency_key) WHERE idempotency_key IS NOT NULL;
  CREATE INDEX jobs_status ON jobs(status, id);
  CREATE INDEX jobs_due ON jobs(run_at) WHERE status IN ('scheduled', 'retrying');
  CREATE INDEX jobs_finished ON jobs(finished_at) WHERE finished_at IS NOT NULL;
  CREATE TABLE attempts (
    job_id INTEGER NOT NULL,
    number INTEGER NOT NULL,
    worker_id TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    outcome TEXT NOT NULL,
    error TEXT,
    PRIMARY KEY (job_id, number)
  ) WITHOUT ROWID;
  CREATE TABLE queues (
    name TEXT PRIMARY KEY,
    paused INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  `,
  // 2: the status index leaves completed jobs out. They are most of the table and are never looked
  // up by status on a hot path, so a job that completes only leaves the index (no insert), and the
  // index stays small. Queries by another status repeat the index's condition so SQLite uses it.
  `
  DROP INDEX jobs_status;
  CREATE INDEX jobs_open ON jobs(status, id) WHERE status <> 'completed';
  `,
  // 3: the session secret (its hash) of the process that last connected with each worker id, so
  // that after a master restart a lease can be reattached only by the process that received it.
  `
  CREATE TABLE worker_sessions (
    worker_id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    connected_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 4: jobs that failed, by status and error text, for the dashboard's error groups and their
  // counts (a GROUP BY over 30,000 dead letters took 0.6 s without it). Only failing jobs enter
  // it, so a job that completes at its first attempt never touches it.
  `
  CREATE INDEX jobs_errors ON jobs(status, error) WHERE status IN ('failed', 'dead_letter', 'retrying');
  `,
];
