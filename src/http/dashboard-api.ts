/**
 * The API routes the dashboard needs beyond the REST gateway (rest.ts), usable by any client:
 * - GET /v1/summary: stats, throughput over 15 minutes, out rates per queue (what /v1/events sends);
 * - GET /v1/events: the live feed (live-events.ts);
 * - GET /v1/errors?status=failed,dead_letter&queue=: jobs grouped by error text;
 * - GET /v1/jobs/count?<list filters>: how many jobs a filter matches (counted up to a cap);
 * - POST /v1/jobs/bulk: retry or cancel listed ids, or everything a filter matches, in batches;
 * - GET /v1/ui/jobs/:id: a job with its payload and result as text, cut past 64 KiB;
 * - GET /v1/jobs/:id/payload and /v1/jobs/:id/result/raw: the bytes, as a download.
 */
import { parseJobId } from '../core/validation.js';
import { ErrorCode, NucleusError, invalidArgument, toNucleusError } from '../errors.js';
import { listRequest, statsView, view } from './rest.js';
import { readJsonBody, sendJson } from './respond.js';
import type { JobRecord } from '../core/job.js';
import type { ListRequest, Master } from '../master/master.js';
import type { LiveEvents } from './live-events.js';
import type { Throughput } from './throughput.js';
import type { RequestContext, Router } from './router.js';

/** Bytes of a payload or result shown inline; the rest is a download. */
export const INLINE_BYTES = 64 * 1024;
/** Most jobs one bulk call changes; the page says so when a filter matches more. */
export const MAX_BULK_JOBS = 100_000;
/** Counts stop here; the page shows "1,000,000 or more". */
export const COUNT_CAP = 1_000_000;
const BULK_PAGE = 500;
const ERROR_GROUPS = 100;

export function summaryView(master: Master, throughput: Throughput, epoch: string) {
  return { ...statsView(master.stats(), master.state), throughput: throughput.view(), epoch };
}

function bytesView(bytes: Uint8Array | null, contentType: string | null) {
  if (!bytes || bytes.length === 0) return null;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cut = buffer.length > INLINE_BYTES;
  const textual = !contentType || contentType.startsWith('application/json') || contentType.startsWith('text/');
  const head = cut ? buffer.subarray(0, INLINE_BYTES) : buffer;
  return { contentType: contentType || 'application/json', bytes: buffer.length, cut, text: textual ? head.toString('utf8') : null };
}

function uiJobView(job: JobRecord) {
  const { payload: _p, result: _r, ...rest } = view({ ...job, payload: new Uint8Array(), result: null });
  return { ...rest, payload: bytesView(job.payload, job.contentType), result: bytesView(job.result, job.resultContentType) };
}

function sendDownload(ctx: RequestContext, bytes: Uint8Array | null, name: string): void {
  const body = Buffer.from(bytes ?? new Uint8Array());
  // Never the job's own content type: bytes someone submitted must not render as a page here.
  ctx.res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-disposition': `attachment; filename="${name}"`,
    'content-length': body.length,
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'",
  });
  ctx.res.end(body);
}

interface BulkResult {
  action: string;
  matched: number;
  changed: number;
  /** The first few jobs that could not be changed, with why. */
  skipped: Array<{ id: string; reason: string }>;
  skippedCount: number;
  /** More jobs matched than one call changes (MAX_BULK_JOBS). */
  truncated: boolean;
}

const FILTER_FIELDS = new Set(['status', 'queue', 'type', 'worker', 'error', 'error_contains']);

function bulkFilter(value: unknown): ListRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidArgument('filter', 'must be an object such as {"status": "dead_letter", "queue": "emails"}');
  const query = new URLSearchParams();
  for (const [key, v] of Object.entries(value)) {
    if (!FILTER_FIELDS.has(key)) throw invalidArgument(`filter.${key}`, `is not a filter field (known: ${[...FILTER_FIELDS].join(', ')})`);
    if (v === null || v === undefined) continue;
    if (typeof v !== 'string') throw invalidArgument(`filter.${key}`, 'must be a string');
    query.set(key, v);
  }
  if (!query.get('status')) throw invalidArgument('filter.status', 'is required (e.g. dead_letter), so that a bulk action never sweeps every job');
  return listRequest(query, false);
}

async function bulk(master: Master, body: unknown): Promise<BulkResult> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidArgument('body', 'must be {"action": "retry" | "cancel", "ids": [...]} or {"action": ..., "filter": {...}}');
  const { action, ids, filter, ...others } = body as Record<string, unknown>;
  const unknown = Object.keys(others);
  if (unknown.length > 0) throw invalidArgument(unknown[0], 'is not a bulk field (known: action, ids, filter)');
  if (action !== 'retry' && action !== 'cancel') throw invalidArgument('action', `must be "retry" or "cancel" (got ${JSON.stringify(action)?.slice(0, 40)})`);
  if ((ids === undefined) === (filter === undefined)) throw invalidArgument('ids', 'give either ids or filter, not both and not neither');
  const result: BulkResult = { action, matched: 0, changed: 0, skipped: [], skippedCount: 0, truncated: false };
  const act = async (id: number) => {
    result.matched++;
    try {
      if (action === 'retry') await master.retry({ id });
      else master.cancel(id);
      result.changed++;
    } catch (error) {
      const e = toNucleusError(error);
      if (e.code === ErrorCode.Unavailable) throw e;
      result.skippedCount++;
      if (result.skipped.length < 20) result.skipped.push({ id: String(id), reason: e.message });
    }
  };
  if (ids !== undefined) {
    if (!Array.isArray(ids) || ids.length === 0) throw invalidArgument('ids', 'must be a non-empty array of job ids');
    if (ids.length > 10_000) throw new NucleusError(ErrorCode.ResourceExhausted, `ids: ${ids.length} ids is over the limit of 10000 per call; use a filter`);
    const parsed = ids.map((id, i) => parseJobId(String(id), `ids[${i}]`));
    for (const id of parsed) await act(id);
    return result;
  }
  const request = bulkFilter(filter);
  let pageToken: string | undefined;
  for (;;) {
    const page = master.list({ ...request, limit: BULK_PAGE, pageToken, newestFirst: false });
    for (const job of page.jobs) {
      if (result.matched >= MAX_BULK_JOBS) {
        result.truncated = true;
        return result;
      }
      await act(job.id);
    }
    if (!page.nextPageToken) return result;
    pageToken = page.nextPageToken;
    // One batch per turn of the event loop: dispatch and heartbeats go on meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export function dashboardRoutes(router: Router, master: Master, live: LiveEvents, summary: () => unknown): Router {
  const id = (ctx: RequestContext) => parseJobId(ctx.params.id, 'id');
  return router
    .on('GET', '/v1/summary', (ctx) => sendJson(ctx.res, 200, summary()))
    .on('GET', '/v1/events', (ctx) => live.handle(ctx))
    .on('GET', '/v1/errors', (ctx) => {
      const statuses = (ctx.query.get('status') || 'failed,dead_letter').split(',').map((s) => s.trim()).filter(Boolean);
      const groups = master.errorGroups(statuses, ctx.query.get('queue') || undefined, ERROR_GROUPS);
      sendJson(ctx.res, 200, { groups: groups.map((g) => ({ ...g, latestId: String(g.latestId), latestAt: new Date(g.latestAt).toISOString() })) });
    })
    .on('GET', '/v1/jobs/count', (ctx) => {
      const query = new URLSearchParams(ctx.query);
      for (const key of ['limit', 'page_token', 'pageToken', 'newest_first', 'newestFirst']) query.delete(key);
      const count = master.count(listRequest(query, false), COUNT_CAP);
      sendJson(ctx.res, 200, { count, capped: count >= COUNT_CAP });
    })
    .on('POST', '/v1/jobs/bulk', async (ctx) => {
      const body = await readJsonBody(ctx.req, 1024 * 1024, 'a bulk call is at most 1 MiB');
      sendJson(ctx.res, 200, await bulk(master, body));
    })
    .on('GET', '/v1/ui/jobs/:id', (ctx) => sendJson(ctx.res, 200, uiJobView(master.getJob(id(ctx)))))
    .on('GET', '/v1/jobs/:id/payload', (ctx) => {
      const job = master.getJob(id(ctx));
      sendDownload(ctx, job.payload, `job-${job.id}-payload`);
    })
    .on('GET', '/v1/jobs/:id/result/raw', (ctx) => {
      const job = master.getJob(id(ctx));
      sendDownload(ctx, job.result, `job-${job.id}-result`);
    });
}
