/**
 * One log line per job state change, from the master's event bus: job id, attempt, worker and
 * `from -> to`. Routine changes are debug (the hot path: nothing is built unless debug is on);
 * a job lost with its worker and a job moved to dead_letter are warnings; a job that failed for
 * good is info. Payloads and results are never logged.
 */
import type { JobChange } from './events.js';
import type { Master } from './master.js';
import type { Logger } from '../log.js';

/** Subscribes the logger to the master's job changes; returns the unsubscribe function. */
export function logJobChanges(master: Pick<Master, 'watch'>, logger: Logger): () => void {
  const log = logger.child({ component: 'jobs' });
  return master.watch((change) => {
    // Back from running with an error means the worker was lost; a clean give-back has none.
    const lost = change.previous === 'running' && change.status === 'queued' && change.error !== null;
    if (lost) log.warn(fields(change), `job ${change.id} lost with worker ${change.workerId ?? '?'}: running -> queued (front of its queue)`);
    else if (change.status === 'dead_letter') log.warn(fields(change), `job ${change.id} ${change.previous ?? 'new'} -> dead_letter: out of retries`);
    else if (change.status === 'failed') log.info(fields(change), `job ${change.id} ${change.previous ?? 'new'} -> failed`);
    else if (log.isLevelEnabled('debug')) log.debug(fields(change), `job ${change.id} ${change.previous ?? 'new'} -> ${change.status}`);
  });
}

function fields(c: JobChange): Record<string, unknown> {
  const out: Record<string, unknown> = { job: c.id, queue: c.queue, type: c.type, attempt: c.attempt, from: c.previous ?? 'new', to: c.status };
  if (c.workerId) out.worker = c.workerId;
  if (c.error) out.error = c.error;
  if (c.waitMs !== undefined) out.waitMs = c.waitMs;
  if (c.durationMs !== undefined) out.durationMs = c.durationMs;
  return out;
}
