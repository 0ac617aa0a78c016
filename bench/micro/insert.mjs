// SQLite alone, on the store's schema: inserting 20,000 jobs in batches (one transaction each), with
// every value bound per job (`each`: 14 per row) or with what the jobs of a batch share bound once
// per 16-row statement as named parameters and only payload and run time per job (`alike`, what the
// store does when a run of 16 jobs allows it). Prints µs per job, and the commit's share.
//
//   node bench/micro/insert.mjs [each|alike] [batch size, default 256]   (needs `npm run build`)
import { freshStoreFile } from './store-file.mjs';

const variant = process.argv[2] ?? 'each';
const batch = Number(process.argv[3] ?? 256);
const { db, remove } = freshStoreFile();

const COLUMNS = `(queue, type, payload, content_type, priority, max_retries, timeout_ms, backoff_base_ms, backoff_cap_ms,
  run_at, idempotency_key, status, created_at, updated_at)`;
const EACH = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const ALIKE = '(@queue, @type, ?, @contentType, @priority, @maxRetries, @timeoutMs, @backoffBaseMs, @backoffCapMs, ?, NULL, @status, @now, @now)';
const each = db.prepare(`INSERT INTO jobs ${COLUMNS} VALUES ${Array(16).fill(EACH).join(', ')}`);
const alike = db.prepare(`INSERT INTO jobs ${COLUMNS} VALUES ${Array(16).fill(ALIKE).join(', ')}`);
const begin = db.prepare('BEGIN');
const commit = db.prepare('COMMIT');

const N = 20_000;
let total = 0;
let committing = 0;
for (let first = 0; first < N; first += batch) {
  const now = Date.now();
  const payloads = Array.from({ length: batch }, (_, k) => Buffer.from(JSON.stringify({ i: first + k, ts: now })));
  const t0 = performance.now();
  begin.run();
  for (let r = 0; r < batch; r += 16) {
    if (variant === 'alike') {
      const params = [{ queue: 'default', type: 'noop', contentType: 'application/json', priority: 5, maxRetries: 3, timeoutMs: 30_000, backoffBaseMs: 1000, backoffCapMs: 3_600_000, status: 'queued', now }];
      for (let k = r; k < r + 16; k++) params.push(payloads[k], now);
      alike.run(...params);
    } else {
      const params = [];
      for (let k = r; k < r + 16; k++) params.push('default', 'noop', payloads[k], 'application/json', 5, 3, 30_000, 1000, 3_600_000, now, null, 'queued', now, now);
      each.run(params);
    }
  }
  const t1 = performance.now();
  commit.run();
  const t2 = performance.now();
  total += t2 - t0;
  committing += t2 - t1;
}
console.log(`${variant}, batches of ${batch}: ${((total / N) * 1000).toFixed(2)} µs per job (commit ${((committing / N) * 1000).toFixed(2)})`);
remove();
