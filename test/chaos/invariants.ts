/**
 * The chaos suite's judge: reads the store (read-only, after the master has stopped) and the
 * workers' execution logs, and checks the guarantees a run must keep whatever faults it met:
 *
 * 1. every acknowledged job reached a terminal state;
 * 2. none was lost, and the store holds no job that was not acknowledged (producers retry with
 *    idempotency keys, so a submit committed but not acknowledged before a crash is not stored twice);
 * 3. each completed job has exactly one completed attempt, its last one, and the recorded result
 *    is the one that attempt's worker returned (no late result from an earlier lease was applied);
 * 4. every execution ran under a lease the store recorded (same job, attempt and worker), no
 *    lease ran twice, and a job ran again only after its earlier attempt was declared lost (worker
 *    death), timed out, or was given back by a worker shutting down.
 */
import Database from 'better-sqlite3';
import { readFileSync, existsSync } from 'node:fs';

export interface Execution {
  jobId: string;
  attempt: number;
  worker: string;
}

interface JobRow {
  id: number;
  status: string;
  attempt: number;
  worker_id: string | null;
  result: Buffer | null;
  idempotency_key: string | null;
}

interface AttemptRow {
  job_id: number;
  number: number;
  worker_id: string;
  outcome: string;
}

export interface ChaosVerdict {
  acknowledged: number;
  stored: number;
  byStatus: Record<string, number>;
  executions: number;
  jobsRunMoreThanOnce: number;
  attemptsByOutcome: Record<string, number>;
  /** Executions whose attempt was superseded (its result, if sent, had to be refused). */
  supersededExecutions: number;
  violations: Record<'terminal' | 'lost' | 'phantom' | 'oneResult' | 'lateResult' | 'executions', string[]>;
}

const TERMINAL = new Set(['completed', 'failed', 'dead_letter', 'cancelled']);
/** Why an attempt may end without its job completing and lead to another run. */
const RERUN_REASONS = new Set(['lost', 'timeout', 'returned']);

/** Reads "jobId attempt worker" lines; a torn last line (a SIGKILL mid-write) is skipped. */
export function readExecutions(paths: string[]): Execution[] {
  const out: Execution[] = [];
  for (const path of paths) {
    if (!existsSync(path)) continue;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const m = /^(\d+) (\d+) (\S+)$/.exec(line);
      if (m) out.push({ jobId: m[1], attempt: Number(m[2]), worker: m[3] });
    }
  }
  return out;
}

export function judge(dbPath: string, acknowledged: Map<string, string>, executions: Execution[]): ChaosVerdict {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  let jobs: JobRow[];
  let attempts: AttemptRow[];
  try {
    jobs = db.prepare('SELECT id, status, attempt, worker_id, result, idempotency_key FROM jobs').all() as JobRow[];
    attempts = db.prepare('SELECT job_id, number, worker_id, outcome FROM attempts ORDER BY job_id, number').all() as AttemptRow[];
  } finally {
    db.close();
  }
  // The attempt that completed a job has no row of its own: the job row is its record (worker, attempt).
  const rowed = new Set(attempts.map((a) => `${a.job_id}:${a.number}`));
  for (const job of jobs) {
    if (job.status === 'completed' && job.worker_id !== null && !rowed.has(`${job.id}:${job.attempt}`)) {
      attempts.push({ job_id: job.id, number: job.attempt, worker_id: job.worker_id, outcome: 'completed' });
    }
  }
  attempts.sort((a, b) => a.job_id - b.job_id || a.number - b.number);
  const v: ChaosVerdict['violations'] = { terminal: [], lost: [], phantom: [], oneResult: [], lateResult: [], executions: [] };
  const byId = new Map(jobs.map((j) => [String(j.id), j]));
  const history = new Map<string, AttemptRow[]>();
  for (const a of attempts) {
    const list = history.get(String(a.job_id)) ?? [];
    list.push(a);
    history.set(String(a.job_id), list);
  }
  const ackedIds = new Set(acknowledged.values());

  // 1 and 2: every acknowledged job is there and finished; nothing else is there.
  for (const [key, id] of acknowledged) {
    const job = byId.get(id);
    if (!job) v.lost.push(`${key} -> job ${id} is not in the store`);
    else if (!TERMINAL.has(job.status)) v.terminal.push(`job ${id} is ${job.status}`);
    else if (job.idempotency_key !== null && job.idempotency_key !== key) v.lost.push(`job ${id} carries key ${job.idempotency_key}, not ${key}`);
  }
  for (const job of jobs) if (!ackedIds.has(String(job.id))) v.phantom.push(`job ${job.id} (${job.idempotency_key}) was never acknowledged`);

  // 3: one result, from the last lease.
  const byStatus: Record<string, number> = {};
  const attemptsByOutcome: Record<string, number> = {};
  for (const a of attempts) attemptsByOutcome[a.outcome] = (attemptsByOutcome[a.outcome] ?? 0) + 1;
  for (const job of jobs) {
    byStatus[job.status] = (byStatus[job.status] ?? 0) + 1;
    const list = history.get(String(job.id)) ?? [];
    const completed = list.filter((a) => a.outcome === 'completed');
    const last = list.at(-1);
    if (job.status !== 'completed') {
      if (completed.length > 0) v.oneResult.push(`job ${job.id} is ${job.status} but attempt ${completed[0].number} completed`);
      continue;
    }
    if (completed.length !== 1) {
      v.oneResult.push(`job ${job.id} has ${completed.length} completed attempts (${list.map((a) => `${a.number}:${a.outcome}`).join(', ')})`);
      continue;
    }
    if (!last || last.number !== completed[0].number || last.number !== job.attempt) {
      v.oneResult.push(`job ${job.id}: the completed attempt ${completed[0].number} is not its last lease (${job.attempt})`);
      continue;
    }
    let result: { jobId?: string; attempt?: number; worker?: string } = {};
    try {
      result = JSON.parse(Buffer.from(job.result ?? []).toString('utf8'));
    } catch {
      v.lateResult.push(`job ${job.id}: the recorded result is not the handler's JSON`);
      continue;
    }
    if (result.jobId !== String(job.id) || result.attempt !== last.number || result.worker !== last.worker_id) {
      v.lateResult.push(`job ${job.id}: the result came from attempt ${result.attempt} on ${result.worker}, the last lease is ${last.number} on ${last.worker_id}`);
    }
  }

  // 4: executions against leases.
  const seen = new Set<string>();
  const executedAttempts = new Map<string, Set<number>>();
  let superseded = 0;
  for (const e of executions) {
    const lease = `${e.jobId}#${e.attempt}`;
    if (seen.has(lease)) v.executions.push(`job ${e.jobId} attempt ${e.attempt} ran twice`);
    seen.add(lease);
    const row = history.get(e.jobId)?.find((a) => a.number === e.attempt);
    if (!row) v.executions.push(`job ${e.jobId} attempt ${e.attempt} ran on ${e.worker} without a recorded lease`);
    else if (row.worker_id !== e.worker) v.executions.push(`job ${e.jobId} attempt ${e.attempt} ran on ${e.worker} but was leased to ${row.worker_id}`);
    const set = executedAttempts.get(e.jobId) ?? new Set<number>();
    set.add(e.attempt);
    executedAttempts.set(e.jobId, set);
  }
  let runMoreThanOnce = 0;
  for (const [jobId, numbers] of executedAttempts) {
    const job = byId.get(jobId);
    if (!job) continue;
    if (job.status === 'completed' && !numbers.has(job.attempt)) v.executions.push(`job ${jobId} completed attempt ${job.attempt} but no execution of it was recorded`);
    if (numbers.size < 2) continue;
    runMoreThanOnce++;
    for (const n of numbers) {
      if (n === job.attempt) continue;
      superseded++;
      const outcome = history.get(jobId)?.find((a) => a.number === n)?.outcome;
      if (!outcome || !RERUN_REASONS.has(outcome)) v.executions.push(`job ${jobId} ran again after attempt ${n} ended "${outcome}", not lost/timeout/returned`);
    }
  }
  return {
    acknowledged: acknowledged.size,
    stored: jobs.length,
    byStatus,
    executions: executions.length,
    jobsRunMoreThanOnce: runMoreThanOnce,
    attemptsByOutcome,
    supersededExecutions: superseded,
    violations: v,
  };
}
