/**
 * `nucleus pause` / `resume`. Pausing a queue before its first job is allowed (to stage work), so
 * a queue the master holds no job of is paused all the same; but it is usually a typo, so the
 * outcome carries a warning naming the queues the master does know, and the closest of them.
 */
import { nearest } from '../core/nearest.js';
import type { MasterClient } from '../rpc/client.js';

export interface PauseOutcome {
  queue: string;
  paused: boolean;
  /** Set when the master holds no job of this queue. */
  warning?: string;
}

export async function setQueuePaused(client: MasterClient, queue: string, paused: boolean): Promise<PauseOutcome> {
  const answer = await client.call('pauseQueue', { queue, paused });
  const jobs = (answer.queue?.counts ?? []).reduce((n, c) => n + Number(c.count), 0);
  if (jobs > 0) return { queue, paused };
  const stats = await client.call('getStats', {});
  const known = (stats.queues ?? [])
    .filter((q) => q.name !== queue && q.counts.some((c) => Number(c.count) > 0))
    .map((q) => q.name);
  const guess = nearest(queue, known);
  const names = known.length > 0 ? `; queues with jobs: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', ...' : ''}` : '';
  const hint = guess ? ` (did you mean ${guess}?)` : '';
  return { queue, paused, warning: `queue ${queue} has no jobs${hint}${names}; ${paused ? 'paused' : 'resumed'} it anyway` };
}
