/**
 * The REST gateway: JSON in and out, calling the same Master methods as the gRPC JobService, so
 * that validation, errors and results are the same whichever door a client uses. Jobs are shown in
 * the shape of `nucleus status --json`.
 *
 * Routes: POST /v1/jobs (one job, an array, or {jobs: [...]}), GET /v1/jobs, GET /v1/jobs/:id,
 * GET /v1/jobs/:id/result?wait=5s, POST /v1/jobs/:id/cancel, POST /v1/jobs/:id/retry,
 * GET /v1/stats, POST /v1/queues/:name/pause|resume; and the original dashboard's
 * POST /submit_job and GET /get_all_jobs.
 */
import { parseDuration } from '../core/duration.js';
import { parseJobId, parseStatus, type JobSpecInput } from '../core/validation.js';
import { invalidArgument } from '../errors.js';
import { jobToProto } from '../rpc/convert.js';
import { jobJson, type JobJson } from '../services/job-view.js';
import { batchFromJson, specFromJson } from './job-spec.js';
import { readJsonBody, sendJson } from './respond.js';
import type { JobRecord } from '../core/job.js';
import type { ListRequest, Master, QueueSummary, Stats } from '../master/master.js';
import type { InsertedJob } from '../store/job-store.js';
import type { RequestContext, Router } from './router.js';

/** Longest `?wait=` for a result; a client that wants longer asks again. */
export const MAX_RESULT_WAIT_MS = 3_600_000;
/** Headroom over the payload limit for the JSON around it, as for gRPC messages. */
export const BODY_HEADROOM_BYTES = 64 * 1024;

export const view = (job: JobRecord): JobJson => jobJson(jobToProto(job));
const iso = (ms: number | null): string | null => (ms ? new Date(ms).toISOString() : null);

export function restRoutes(router: Router, master: Master): Router {
  const bodyLimit = master.settings.maxPayloadBytes + BODY_HEADROOM_BYTES;
  const body = (ctx: RequestContext) => readJsonBody(ctx.req, bodyLimit, '--max-payload plus 64 KiB');

  const submit = async (ctx: RequestContext, alias: boolean) => {
    const input = await body(ctx);
    if (input === undefined) throw invalidArgument('body', 'is empty; send a job as JSON, e.g. {"type": "echo", "payload": {"hello": "world"}}');
    const batch = alias ? null : batchFromJson(input);
    if (batch) {
      const inserted = await master.submit(batch, 'jobs');
      return sendJson(ctx.res, 201, { results: inserted.map(submitted) });
    }
    const spec: JobSpecInput = specFromJson(input, 'job');
    const [one] = await master.submit([spec], 'job');
    if (alias) return sendJson(ctx.res, one.duplicate ? 200 : 201, { job_id: String(one.id), status: one.status, duplicate: one.duplicate });
    const warning = master.coverage.warning(spec.type);
    sendJson(ctx.res, one.duplicate ? 200 : 201, { ...submitted(one), ...(warning ? { warning } : {}) }, { location: `/v1/jobs/${one.id}` });
  };

  const list = (ctx: RequestContext, newestFirstDefault: boolean) => {
    const { jobs, nextPageToken } = master.list(listRequest(ctx.query, newestFirstDefault));
    sendJson(ctx.res, 200, { jobs: jobs.map(view), nextPageToken });
  };

  const id = (ctx: RequestContext) => parseJobId(ctx.params.id, 'id');

  return router
    .on('POST', '/v1/jobs', (ctx) => submit(ctx, false))
    .on('GET', '/v1/jobs', (ctx) => list(ctx, false))
    .on('GET', '/v1/jobs/:id', (ctx) => sendJson(ctx.res, 200, view(master.getJob(id(ctx)))))
    .on('GET', '/v1/jobs/:id/result', async (ctx) => {
      const jobId = id(ctx);
      const wait = waitOf(ctx.query.get('wait'));
      // The wait ends when the client hangs up: its waiter must not outlive it.
      const gone = new AbortController();
      const onClose = () => gone.abort();
      ctx.res.once('close', onClose);
      const { job, finished } = await master.getResult(jobId, wait, gone.signal).finally(() => ctx.res.off('close', onClose));
      sendJson(ctx.res, 200, { finished, job: view(job) });
    })
    .on('POST', '/v1/jobs/:id/cancel', (ctx) => sendJson(ctx.res, 200, view(master.cancel(id(ctx)))))
    .on('POST', '/v1/jobs/:id/retry', async (ctx) => {
      const ids = await master.retry({ id: id(ctx) });
      sendJson(ctx.res, 200, { jobIds: ids.map(String), job: view(master.getJob(ids[0])) });
    })
    .on('GET', '/v1/stats', (ctx) => sendJson(ctx.res, 200, statsView(master.stats(), master.state)))
    .on('POST', '/v1/queues/:name/pause', (ctx) => sendJson(ctx.res, 200, queueView(master.pause(ctx.params.name, true))))
    .on('POST', '/v1/queues/:name/resume', (ctx) => sendJson(ctx.res, 200, queueView(master.pause(ctx.params.name, false))))
    .on('POST', '/submit_job', (ctx) => submit(ctx, true))
    .on('GET', '/get_all_jobs', (ctx) => list(ctx, true));
}

const submitted = (i: InsertedJob) => ({ id: String(i.id), status: i.status, duplicate: i.duplicate });

const LIST_PARAMS = new Set(['status', 'queue', 'type', 'worker', 'error', 'error_contains', 'limit', 'page_token', 'pageToken', 'newest_first', 'newestFirst']);

/** A listing's query (?status=failed,dead_letter&queue=...&limit=...) as a ListRequest. */
export function listRequest(query: URLSearchParams, newestFirstDefault: boolean): ListRequest {
  for (const key of query.keys()) {
    if (!LIST_PARAMS.has(key)) throw invalidArgument(key, `is not a list parameter (known: status, queue, type, worker, error, error_contains, limit, page_token, newest_first)`);
  }
  const statuses = query.getAll('status').flatMap((s) => s.split(',')).filter(Boolean).map((s) => parseStatus(s.trim(), 'status'));
  const limitText = query.get('limit');
  let limit: number | undefined;
  if (limitText !== null && limitText !== '') {
    limit = Number(limitText);
    // Absent means the default; an explicit 0 is a mistake here (gRPC's 0 is proto3's "unset").
    if (!/^\d+$/.test(limitText) || limit === 0) throw invalidArgument('limit', `must be an integer from 1 to 1000 (got "${limitText.slice(0, 40)}")`);
  }
  return {
    statuses,
    queue: query.get('queue') || undefined,
    type: query.get('type') || undefined,
    workerId: query.get('worker') || undefined,
    error: query.get('error') ?? undefined,
    errorContains: query.get('error_contains') || undefined,
    limit,
    pageToken: query.get('page_token') || query.get('pageToken') || undefined,
    newestFirst: booleanOf(query.get('newest_first') ?? query.get('newestFirst'), 'newest_first', newestFirstDefault),
  };
}

function booleanOf(text: string | null, field: string, fallback: boolean): boolean {
  if (text === null || text === '') return fallback;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw invalidArgument(field, `must be true or false (got "${text.slice(0, 40)}")`);
}

/** `?wait` as a duration (5s, 500ms); `?wait` alone or `wait=true` waits the longest allowed. */
function waitOf(text: string | null): number {
  if (text === null || text === 'false' || text === '0') return 0;
  if (text === '' || text === 'true') return MAX_RESULT_WAIT_MS;
  const ms = parseDuration(text);
  if (typeof ms !== 'number') throw invalidArgument('wait', ms.error);
  if (ms > MAX_RESULT_WAIT_MS) throw invalidArgument('wait', `must be at most 1h (got ${text})`);
  return ms;
}

function queueView(q: QueueSummary) {
  return { name: q.name, paused: q.paused, counts: q.counts, oldestQueuedAt: iso(q.oldestQueuedAt) };
}

export function statsView(s: Stats, state: string) {
  return {
    version: s.version,
    state,
    startedAt: iso(s.startedAt),
    uptimeMs: s.now - s.startedAt,
    counts: s.counts,
    submittedTotal: s.submittedTotal,
    finishedTotal: s.finishedTotal,
    queueWaitP50Ms: s.queueWaitP50Ms,
    queueWaitP95Ms: s.queueWaitP95Ms,
    queues: s.queues.map(queueView),
    workers: s.workers.map((w) => ({
      id: w.id,
      hostname: w.hostname,
      pid: w.pid,
      alive: w.alive,
      draining: w.draining,
      concurrency: w.concurrency,
      busy: w.busy,
      jobsDone: w.jobsDone,
      lastHeartbeatAt: iso(w.lastHeartbeatAt),
      connectedAt: iso(w.connectedAt),
      queues: w.queues,
      jobTypes: w.jobTypes,
      runningJobIds: w.runningJobIds.map(String),
    })),
  };
}
