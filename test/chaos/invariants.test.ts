/**
 * The chaos judge must be able to fail: given a store and execution logs with one violation of
 * each kind written by hand, it reports each of them, and it reports nothing for a clean history.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '../helpers/cluster.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { judge, type Execution } from './invariants.js';

const dir = tempDir('nucleus-judge-');
afterAll(() => dir.cleanup());

interface Row {
  id: number;
  status: string;
  attempt: number;
  key: string;
  result?: unknown;
  attempts: Array<[number, string, string]>;
}

function store(name: string, rows: Row[]): string {
  const path = join(dir.path, name);
  const db = new Database(path);
  db.exec(MIGRATIONS.join('\n'));
  const job = db.prepare(`INSERT INTO jobs (id, queue, type, payload, content_type, priority, max_retries, timeout_ms, backoff_base_ms,
    backoff_cap_ms, run_at, idempotency_key, status, attempt, result, created_at, updated_at) VALUES (?, 'default', 'chaos', x'', 'application/json', 5, 3, 1000, 1000, 1000, 0, ?, ?, ?, ?, 0, 0)`);
  const attempt = db.prepare(`INSERT INTO attempts (job_id, number, worker_id, started_at, outcome) VALUES (?, ?, ?, 0, ?)`);
  for (const r of rows) {
    job.run(r.id, r.key, r.status, r.attempt, r.result === undefined ? null : Buffer.from(JSON.stringify(r.result)));
    for (const [n, worker, outcome] of r.attempts) attempt.run(r.id, n, worker, outcome);
  }
  db.close();
  return path;
}

const done = (id: number, attempts: Array<[number, string, string]>): Row => {
  const last = attempts.at(-1)!;
  return { id, status: 'completed', attempt: last[0], key: `k${id}`, result: { jobId: String(id), attempt: last[0], worker: last[1] }, attempts };
};

describe('chaos judge', () => {
  it('given a clean history with a rerun after a lost worker, when judged, then no invariant is violated', () => {
    const path = store('clean.db', [done(1, [[1, 'a', 'completed']]), done(2, [[1, 'a', 'lost'], [2, 'b', 'completed']])]);
    const runs: Execution[] = [{ jobId: '1', attempt: 1, worker: 'a' }, { jobId: '2', attempt: 1, worker: 'a' }, { jobId: '2', attempt: 2, worker: 'b' }];
    const verdict = judge(path, new Map([['k1', '1'], ['k2', '2']]), runs);
    expect(verdict.violations).toEqual({ terminal: [], lost: [], phantom: [], oneResult: [], lateResult: [], executions: [] });
    expect(verdict.jobsRunMoreThanOnce).toBe(1);
  });

  it('given completed jobs whose completing attempt is recorded only in the job row (as the store writes it), when judged, then those leases count', () => {
    const path = store('job-row.db', [
      { id: 1, status: 'completed', attempt: 1, key: 'k1', result: { jobId: '1', attempt: 1, worker: 'a' }, attempts: [] },
      { id: 2, status: 'completed', attempt: 2, key: 'k2', result: { jobId: '2', attempt: 2, worker: 'b' }, attempts: [[1, 'a', 'lost']] },
    ]);
    const db = new Database(path);
    db.prepare(`UPDATE jobs SET worker_id = ? WHERE id = ?`).run('a', 1);
    db.prepare(`UPDATE jobs SET worker_id = ? WHERE id = ?`).run('b', 2);
    db.close();
    const runs: Execution[] = [{ jobId: '1', attempt: 1, worker: 'a' }, { jobId: '2', attempt: 1, worker: 'a' }, { jobId: '2', attempt: 2, worker: 'b' }];
    const verdict = judge(path, new Map([['k1', '1'], ['k2', '2']]), runs);
    expect(verdict.violations).toEqual({ terminal: [], lost: [], phantom: [], oneResult: [], lateResult: [], executions: [] });
    expect(verdict.attemptsByOutcome).toEqual({ lost: 1, completed: 2 });
  });

  it('given a history with one violation of each kind, when judged, then each is reported', () => {
    const path = store('broken.db', [
      { id: 1, status: 'running', attempt: 1, key: 'k1', attempts: [[1, 'a', 'running']] }, // not terminal
      done(3, [[1, 'a', 'completed'], [2, 'b', 'completed']]), // two completions
      { ...done(4, [[1, 'a', 'lost'], [2, 'b', 'completed']]), result: { jobId: '4', attempt: 1, worker: 'a' } }, // late result applied
      done(5, [[1, 'a', 'error'], [2, 'b', 'completed']]), // rerun after a plain error... ran twice below
      done(6, [[1, 'a', 'completed']]), // never acknowledged
    ]);
    const runs: Execution[] = [
      { jobId: '4', attempt: 1, worker: 'a' },
      { jobId: '4', attempt: 2, worker: 'b' },
      { jobId: '5', attempt: 1, worker: 'a' },
      { jobId: '5', attempt: 2, worker: 'b' },
      { jobId: '5', attempt: 2, worker: 'b' }, // one lease run twice
      { jobId: '6', attempt: 1, worker: 'z' }, // run by a worker that did not hold the lease
    ];
    const acked = new Map([['k1', '1'], ['k2', '2'], ['k3', '3'], ['k4', '4'], ['k5', '5']]);
    const { violations } = judge(path, acked, runs);
    expect(violations.terminal).toEqual(['job 1 is running']);
    expect(violations.lost).toEqual(['k2 -> job 2 is not in the store']);
    expect(violations.phantom).toEqual(['job 6 (k6) was never acknowledged']);
    expect(violations.oneResult).toEqual(['job 3 has 2 completed attempts (1:completed, 2:completed)']);
    expect(violations.lateResult).toEqual(['job 4: the result came from attempt 1 on a, the last lease is 2 on b']);
    expect(violations.executions).toEqual([
      'job 5 attempt 2 ran twice',
      'job 6 attempt 1 ran on z but was leased to a',
      'job 5 ran again after attempt 1 ended "error", not lost/timeout/returned',
    ]);
  });
});
