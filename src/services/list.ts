/**
 * `nucleus list`: one page, or every page with `all` (keyset pages: each job once, even while
 * jobs are being submitted).
 */
import { parseStatus } from '../core/validation.js';
import { statusToProto } from '../rpc/convert.js';
import type { MasterClient } from '../rpc/client.js';
import type { Job } from '../rpc/generated/nucleus/v1/jobs.js';

export interface ListOptions {
  statuses: string[];
  queue?: string;
  type?: string;
  workerId?: string;
  limit: number;
  pageToken?: string;
  all?: boolean;
  newestFirst?: boolean;
  /** Called with each page as it arrives (for streaming output); then `jobs` stays empty. */
  onPage?: (jobs: Job[], first: boolean) => void;
}

export async function listJobs(client: MasterClient, options: ListOptions): Promise<{ jobs: Job[]; nextPageToken: string; count: number }> {
  const statuses = options.statuses.map((s) => statusToProto(parseStatus(s, '--status')));
  const collected: Job[] = [];
  let token = options.pageToken ?? '';
  let count = 0;
  for (let first = true; ; first = false) {
    const page = await client.call('listJobs', {
      statuses,
      queue: options.queue ?? '',
      type: options.type ?? '',
      workerId: options.workerId ?? '',
      limit: options.limit,
      pageToken: token,
      newestFirst: options.newestFirst ?? false,
    });
    count += page.jobs.length;
    if (options.onPage) options.onPage(page.jobs, first);
    else collected.push(...page.jobs);
    token = page.nextPageToken;
    if (!options.all || !token) return { jobs: collected, nextPageToken: token, count };
  }
}
