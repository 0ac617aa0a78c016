// SQLite alone, on the store's schema: claim and end 64,000 jobs in rounds of 64 (one worker at
// concurrency 64), the statements the master uses, and what each costs per job. Variants show what
// an index layout or a shared commit would change.
//
//   node bench/micro/claim-end.mjs [base|merged|batched-end|json-end|no-open-index|unfinished-index|failed-index] (needs `npm run build`)
// batched-end: the ends of a round in statements of up to 16 rows (VALUES joined to jobs) instead of one each.
// json-end: the round's completions (no result) in one statement, [id, attempt] pairs as JSON.
import { freshStoreFile } from './store-file.mjs';

const variant = process.argv[2] ?? 'base';
const { db, remove } = freshStoreFile();
if (!['base', 'merged', 'batched-end', 'json-end'].includes(variant)) db.exec('DROP INDEX jobs_open');
if (variant === 'unfinished-index') db.exec('CREATE INDEX jobs_unfinished ON jobs(id) WHERE finished_at IS NULL');
if (variant === 'unfinished-index' || variant === 'failed-index') {
  db.exec("CREATE INDEX jobs_failed ON jobs(status, id) WHERE status IN ('failed', 'dead_letter', 'cancelled')");
}

const ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const insert = db.prepare(`INSERT INTO jobs (queue, type, payload, content_type, priority, max_retries, timeout_ms, backoff_base_ms,
  backoff_cap_ms, run_at, idempotency_key, status, created_at, updated_at) VALUES ${Array(16).fill(ROW).join(', ')}`);
const payload = Buffer.from(JSON.stringify({ i: 12345, ts: 1763936400123.456 }));
const N = 64_000;
db.transaction(() => {
  for (let i = 0; i < N; i += 16) {
    const p = [];
    for (let k = 0; k < 16; k++) p.push('default', 'noop', payload, 'application/json', 5, 3, 30000, 1000, 60000, 1, null, 'queued', 1, 1);
    insert.run(p);
  }
})();
const claim = db
  .prepare(`UPDATE jobs SET status = 'running', attempt = attempt + 1, worker_id = ?, front = 0, progress = 0, progress_message = NULL,
      started_at = ?, updated_at = ? FROM (SELECT value AS claimed FROM json_each(?)) WHERE jobs.id = claimed AND status = 'queued'
    RETURNING id, attempt, failures, queue, type, priority, payload, content_type, timeout_ms, max_retries, backoff_base_ms,
      backoff_cap_ms, created_at, run_at`)
  .raw(true);
const end = db.prepare(`UPDATE jobs SET status = ?, failures = ?, run_at = ?, front = ?, error = ?, result = ?, result_content_type = ?,
    updated_at = ?, finished_at = ? WHERE id = ? AND status = 'running' AND attempt = ?`);
const begin = db.prepare('BEGIN');
const commit = db.prepare('COMMIT');
const END_ROWS = 16;
const endRows = (n) =>
  db.prepare(`WITH e(status, failures, run_at, front, error, result, result_content_type, at, finished_at, id, attempt) AS
      (VALUES ${Array(n).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')})
    UPDATE jobs SET status = e.status, failures = e.failures, run_at = e.run_at, front = e.front, error = e.error, result = e.result,
      result_content_type = e.result_content_type, updated_at = e.at, finished_at = e.finished_at
    FROM e WHERE jobs.id = e.id AND jobs.status = 'running' AND jobs.attempt = e.attempt RETURNING jobs.id`).raw(true);
const endMany = endRows(END_ROWS);
// Completions without a result: one statement per round, [id, attempt] pairs as a JSON array.
const endJson = db.prepare(`UPDATE jobs SET status = 'completed', error = NULL, result = NULL, result_content_type = NULL, updated_at = ?, finished_at = ?
    FROM (SELECT value ->> 0 AS eid, value ->> 1 AS eattempt FROM json_each(?)) WHERE jobs.id = eid AND jobs.status = 'running' AND jobs.attempt = eattempt
    RETURNING jobs.id`).raw(true);
const endAll =
  variant === 'json-end'
    ? (ids, now) => endJson.all(now, now, JSON.stringify(ids.map((id) => [id, 1])))
    : variant === 'batched-end'
    ? (ids, now) => {
        let i = 0;
        for (; i + END_ROWS <= ids.length; i += END_ROWS) endMany.all(ids.slice(i, i + END_ROWS).flatMap((id) => ['completed', 0, 1, 0, null, null, null, now, now, id, 1]));
        for (; i < ids.length; i++) end.run('completed', 0, 1, 0, null, null, null, now, now, ids[i], 1);
      }
    : (ids, now) => ids.forEach((id) => end.run('completed', 0, 1, 0, null, null, null, now, now, id, 1));

let claimNs = 0n;
let endNs = 0n;
let previous = null;
const t0 = process.hrtime.bigint();
for (let first = 1; first <= N; first += 64) {
  const ids = Array.from({ length: 64 }, (_, k) => first + k);
  const now = Date.now();
  const a = process.hrtime.bigint();
  begin.run();
  if (variant === 'merged' && previous) endAll(previous, now);
  claim.all('w1', now, now, JSON.stringify(ids));
  commit.run();
  const b = process.hrtime.bigint();
  claimNs += b - a;
  if (variant === 'merged') previous = ids;
  else {
    begin.run();
    endAll(ids, now);
    commit.run();
    endNs += process.hrtime.bigint() - b;
  }
}
const perJob = (ns) => (Number(ns) / 1e3 / N).toFixed(2);
console.log(`${variant}: ${perJob(process.hrtime.bigint() - t0)} µs per job (claim round ${perJob(claimNs)}, end round ${perJob(endNs)})`);
remove();
