/**
 * The jobs pane's `/` filter. `queue:NAME`, `type:NAME` and `worker:ID` are sent to the master
 * (ListJobs filters), so they find jobs beyond the first page; any other words must all appear in
 * a job's id, type, queue, worker or error, matched on the page the master returned. Pure.
 */
import type { JobRow } from './model.js';

export interface ParsedFilter {
  queue: string | null;
  type: string | null;
  workerId: string | null;
  /** Lower-cased words that must all match. */
  words: string[];
}

const QUALIFIER = /^(queue|type|worker):(.+)$/i;

export function parseFilter(text: string): ParsedFilter {
  const parsed: ParsedFilter = { queue: null, type: null, workerId: null, words: [] };
  for (const token of text.trim().split(/\s+/).filter(Boolean)) {
    const match = QUALIFIER.exec(token);
    if (!match) {
      parsed.words.push(token.toLowerCase());
      continue;
    }
    const key = match[1].toLowerCase();
    if (key === 'queue') parsed.queue = match[2];
    else if (key === 'type') parsed.type = match[2];
    else parsed.workerId = match[2];
  }
  return parsed;
}

/** The rows that match the free words of `filter` (the qualifiers were applied by the master). */
export function matchJobs(rows: readonly JobRow[], filter: ParsedFilter): JobRow[] {
  if (filter.words.length === 0) return rows as JobRow[];
  return rows.filter((row) => {
    const haystack = `${row.id} ${row.type} ${row.queue} ${row.workerId} ${row.error}`.toLowerCase();
    return filter.words.every((word) => haystack.includes(word));
  });
}
