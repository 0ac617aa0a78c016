/**
 * JobService over gRPC: translates requests to Master calls and results back. No logic here.
 */
import { status as GrpcStatus, type sendUnaryData, type ServerDuplexStream, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { UndecodableRequest, undecodableDetails } from './wire-guard.js';
import { ENVELOPE_BYTES, ITEM_OVERHEAD_BYTES, utf8Bound, writeInParts } from './message-parts.js';
import { toServiceError } from './status.js';
import { eventToProto, jobToProto, specFromProto, statusFromProto, statusToProto } from './convert.js';
import { parseJobId } from '../core/validation.js';
import { NucleusError, invalidArgument, toNucleusError } from '../errors.js';
import { ALL_STATUSES } from '../core/job.js';
import { WatchBudget } from '../master/events.js';
import type {
  Job as ProtoJob,
  JobServiceServer,
  JobEvent,
  QueueStats,
  StatusCount,
  SubmitBatch,
  SubmitBatchResult,
  SubmitJobResponse,
  WatchEventsRequest,
  JobEvents,
} from './generated/nucleus/v1/jobs.js';
import type { InsertedJob } from '../store/job-store.js';
import type { Master, QueueSummary } from '../master/master.js';
import type { JobStatus } from '../core/job.js';

type Handler<Req, Res> = (request: Req, call: ServerUnaryCall<Req, Res>) => Res | Promise<Res>;

function unary<Req, Res>(handler: Handler<Req, Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    let result: Res | Promise<Res>;
    try {
      result = handler(call.request, call);
    } catch (error) {
      callback(toServiceError(error) as never, null);
      return;
    }
    Promise.resolve(result).then(
      (value) => callback(null, value),
      (error) => callback(toServiceError(error) as never, null),
    );
  };
}

const countsToProto = (counts: Record<JobStatus, number>): StatusCount[] =>
  ALL_STATUSES.map((status) => ({ status: statusToProto(status), count: counts[status] }));

const queueToProto = (q: QueueSummary): QueueStats => ({
  name: q.name,
  paused: q.paused,
  counts: countsToProto(q.counts),
  oldestQueuedAtMs: q.oldestQueuedAt ?? 0,
});

/** Events buffered for one WatchEvents reader; past it they are counted as `dropped`. */
const WATCH_MAX_BUFFER = 10_000;
/** Events buffered for all readers together; past it the reader furthest behind is dropped. */
export const WATCH_MAX_TOTAL_BUFFER = 50_000;
/** Batches of one SubmitStream being committed at once; past it the master stops reading the stream. */
const SUBMIT_STREAM_WINDOW = 32;

/** One job's answer: its id, or (when each job is judged on its own) its refusal. */
const eachToProto = (r: InsertedJob | NucleusError): SubmitJobResponse =>
  r instanceof NucleusError
    ? { jobId: '', status: 0, duplicate: false, error: r.message, errorCode: r.code, warning: '' }
    : { jobId: String(r.id), status: statusToProto(r.status), duplicate: r.duplicate, error: '', errorCode: '', warning: '' };

/**
 * The answer to a committed batch: short (the first id and the status) when the client reads that
 * form and every job became a new job with the same status and consecutive ids, as a batch without
 * idempotency keys always does; one SubmitJobResponse per job otherwise. The short form spares
 * both ends building, encoding and decoding a message per job.
 */
function batchAnswer(batchId: number, each: Array<InsertedJob | NucleusError>, shortAnswer: boolean): SubmitBatchResult {
  const first = each[0];
  if (shortAnswer && first !== undefined && !(first instanceof NucleusError)) {
    let k = 1;
    while (k < each.length) {
      const r = each[k];
      if (r instanceof NucleusError || r.id !== first.id + k || r.status !== first.status || r.duplicate) break;
      k++;
    }
    if (k === each.length && !first.duplicate) {
      return { batchId, results: [], error: '', errorCode: '', firstJobId: first.id, status: statusToProto(first.status) };
    }
  }
  return { batchId, results: each.map(eachToProto), error: '', errorCode: '', firstJobId: 0, status: 0 };
}

/**
 * SubmitStream: every batch is judged and committed like SubmitJobs with `partial`, and answered
 * on the same stream once committed. A batch that cannot be taken at all (too many jobs, master
 * draining, store failing) gets an answer with `error`; the stream goes on. At most
 * SUBMIT_STREAM_WINDOW batches are taken at once. When the client half-closes, the stream ends
 * once every batch it sent is answered.
 */
function submitStream(master: Master) {
  return (call: ServerDuplexStream<SubmitBatch, SubmitBatchResult>): void => {
    let open = true;
    let clientDone = false;
    let unanswered = 0;
    let paused = false;
    const answer = (result: SubmitBatchResult) => {
      unanswered--;
      if (!open) return;
      call.write(result);
      if (paused && unanswered <= SUBMIT_STREAM_WINDOW / 2) {
        paused = false;
        call.resume();
      }
      if (clientDone && unanswered === 0) call.end();
    };
    call.on('data', (batch: SubmitBatch | UndecodableRequest) => {
      if (!open) return;
      if (batch instanceof UndecodableRequest) {
        // Nothing more is read or answered; batches already taken are committed or not, as they go.
        open = false;
        call.emit('error', { code: GrpcStatus.INVALID_ARGUMENT, details: undecodableDetails(batch) });
        return;
      }
      unanswered++;
      // Backpressure: past the window, stop reading (HTTP/2 flow control holds the client) until
      // answers catch up, so one stream cannot pile unbounded work on the master.
      if (unanswered >= SUBMIT_STREAM_WINDOW && !paused) {
        paused = true;
        call.pause();
      }
      const batchId = batch.batchId;
      const refuse = (error: unknown) => {
        const e = toNucleusError(error);
        answer({ batchId, results: [], error: e.message, errorCode: e.code, firstJobId: 0, status: 0 });
      };
      try {
        master.submitEach(batch.jobs.map(specFromProto)).then((each) => answer(batchAnswer(batchId, each, batch.shortAnswer)), refuse);
      } catch (error) {
        refuse(error);
      }
    });
    call.on('end', () => {
      clientDone = true;
      if (open && unanswered === 0) call.end();
    });
    const gone = () => {
      open = false;
    };
    call.on('error', gone);
    call.on('cancelled', gone);
  };
}

/** Upper bound of one event's encoded size (names are ASCII). */
const eventBytes = (e: JobEvent | null): number =>
  e === null ? 0 : e.jobId.length + e.queue.length + e.type.length + e.workerId.length + utf8Bound(e.error) + ITEM_OVERHEAD_BYTES;

/** Characters of each error a page of ListJobs carries (GetJobStatus has them whole, when they fit). */
const LIST_ERROR_CHARS = 1024;
/** Characters of each error kept when a job with its payload and result would not fit one reply. */
const FIT_ERROR_CHARS = 256;

const cut = (text: string, chars: number): string => (text.length <= chars ? text : `${text.slice(0, chars)}... (${text.length - chars} more characters cut)`);

function shortErrors(job: ProtoJob, chars: number): ProtoJob {
  job.error = cut(job.error, chars);
  for (const a of job.attempts) a.error = cut(a.error, chars);
  return job;
}

/**
 * `maxMessageBytes`: what the master takes (its payload limit plus headroom); streamed events are
 * split to fit it. `maxReplyBytes`: its send limit, room for a job's payload and result together.
 */
export function jobService(master: Master, maxMessageBytes: number, maxReplyBytes: number, watchBudget = new WatchBudget(WATCH_MAX_TOTAL_BUFFER)): JobServiceServer {
  const budget = Math.max(1, maxMessageBytes - ENVELOPE_BYTES);
  const replyBudget = Math.max(1, maxReplyBytes - ENVELOPE_BYTES);
  /**
   * A job read whole (payload, result, every attempt's error) fits the reply limit, as payload and
   * result are each capped at --max-payload, unless its errors are many and long: then they are
   * cut short, saying so, rather than the read failing RESOURCE_EXHAUSTED.
   */
  const fit = (job: ProtoJob): ProtoJob => {
    let bytes = job.payload.byteLength + job.result.byteLength + utf8Bound(job.error) + utf8Bound(job.progressMessage) + ENVELOPE_BYTES;
    for (const a of job.attempts) bytes += utf8Bound(a.error) + ITEM_OVERHEAD_BYTES;
    return bytes <= replyBudget ? job : shortErrors(job, FIT_ERROR_CHARS);
  };
  return {
    submitJob: unary(async (req) => {
      if (!req.job) throw invalidArgument('job', 'is required');
      const [inserted] = await master.submit([specFromProto(req.job)], 'job');
      // One job from a person or a script: worth telling when nothing can run it.
      return { ...eachToProto(inserted), warning: master.coverage.warning(req.job.type) ?? '' };
    }),
    submitJobs: unary(async (req) => {
      if (req.partial) return { results: (await master.submitEach(req.jobs.map(specFromProto))).map(eachToProto) };
      const inserted = await master.submit(req.jobs.map(specFromProto), 'jobs');
      return { results: inserted.map(eachToProto) };
    }),
    submitStream: submitStream(master),
    getJobStatus: unary((req) => ({ job: fit(jobToProto(master.getJob(parseJobId(req.jobId)))) })),
    getJobResult: unary(async (req, call) => {
      const id = parseJobId(req.jobId);
      if (req.waitTimeoutMs < 0) throw invalidArgument('wait_timeout_ms', `must not be negative (got ${req.waitTimeoutMs})`);
      let waitMs = 0;
      if (req.wait) {
        const deadline = call.getDeadline();
        const untilDeadline = deadline instanceof Date ? deadline.getTime() - Date.now() - 50 : Number.isFinite(deadline) ? Number(deadline) - Date.now() - 50 : 3_600_000;
        waitMs = Math.max(0, req.waitTimeoutMs > 0 ? Math.min(req.waitTimeoutMs, untilDeadline) : untilDeadline);
      }
      // A cancelled call (the client hung up or its deadline passed) takes its waiter with it.
      const gone = new AbortController();
      const onCancel = () => gone.abort();
      call.once('cancelled', onCancel);
      const { job, finished } = await master.getResult(id, waitMs, gone.signal).finally(() => call.off('cancelled', onCancel));
      return { job: fit(jobToProto(job)), finished };
    }),
    cancelJob: unary((req) => ({ job: fit(jobToProto(master.cancel(parseJobId(req.jobId)))) })),
    retryJob: unary(async (req) => {
      const ids = await master.retry({
        id: req.jobId ? parseJobId(req.jobId) : undefined,
        status: req.status ? statusFromProto(req.status) : undefined,
        queue: req.queue || undefined,
      });
      return { jobIds: ids.map(String) };
    }),
    listJobs: unary((req) => {
      const { jobs, nextPageToken } = master.list({
        statuses: req.statuses.map(statusFromProto),
        queue: req.queue || undefined,
        type: req.type || undefined,
        workerId: req.workerId || undefined,
        limit: req.limit,
        pageToken: req.pageToken || undefined,
        newestFirst: req.newestFirst,
      });
      // A page has no payloads or results; its errors are cut short so that 1,000 jobs fit.
      return { jobs: jobs.map((job) => shortErrors(jobToProto(job), LIST_ERROR_CHARS)), nextPageToken };
    }),
    pauseQueue: unary((req) => ({ queue: queueToProto(master.pause(req.queue, req.paused)) })),
    getStats: unary(() => {
      const s = master.stats();
      return {
        version: s.version,
        startedAtMs: s.startedAt,
        nowMs: s.now,
        counts: countsToProto(s.counts),
        queues: s.queues.map(queueToProto),
        workers: s.workers.map((w) => ({
          id: w.id,
          hostname: w.hostname,
          pid: w.pid,
          alive: w.alive,
          draining: w.draining,
          concurrency: w.concurrency,
          busy: w.busy,
          lastHeartbeatMs: w.lastHeartbeatAt,
          connectedAtMs: w.connectedAt,
          jobsDone: w.jobsDone,
          queues: w.queues,
          jobTypes: w.jobTypes,
          runningJobIds: w.runningJobIds.map(String),
        })),
        submittedTotal: s.submittedTotal,
        finishedTotal: s.finishedTotal,
        queueWaitP50Ms: s.queueWaitP50Ms,
        queueWaitP95Ms: s.queueWaitP95Ms,
        maxPayloadBytes: master.settings.maxPayloadBytes,
      };
    }),
    watchEvents(call: ServerWritableStream<WatchEventsRequest, JobEvents>): void {
      const queues = new Set(call.request.queues);
      // Events of one turn of the event loop go out together, at once. A client that reads too
      // slowly (the stream's buffer is full) gets no more writes until it drains; meanwhile up to
      // WATCH_MAX_BUFFER events wait, and the rest are counted and reported as `dropped`. All
      // readers share one ceiling (WatchBudget): past it the one furthest behind is dropped with
      // RESOURCE_EXHAUSTED, so stalled readers cannot grow the master without bound.
      let buffer: JobEvent[] = [];
      // Events handed to the stream whose write has not completed: HTTP/2 flow control holds them
      // in the stream while the client does not read, so they count as buffered too.
      let unsent = 0;
      // When each piece still held began (the budget's clock): the buffer, then messages in flight.
      let bufferSince = Infinity;
      const inFlightSince: number[] = [];
      let dropped = 0;
      let scheduled = false;
      let blocked = false;
      let closed = false;
      const flush = () => {
        scheduled = false;
        if (closed || blocked || (buffer.length === 0 && dropped === 0)) return;
        const events = buffer;
        buffer = [];
        unsent += events.length;
        const since = bufferSince;
        bufferSince = Infinity;
        const written = (count: number) => {
          unsent -= count;
          inFlightSince.shift();
          if (closed) return;
          watchBudget.shrank(count);
          if (blocked && unsent < WATCH_MAX_BUFFER / 2) {
            blocked = false;
            flush();
          }
        };
        let first = true;
        // Parts that fit the message limit; the count of dropped events rides on the first.
        writeInParts(events.length > 0 ? events : [null], eventBytes, budget, (part) => {
          const count = part[0] === null ? 0 : part.length;
          const message = { events: count === 0 ? [] : (part as JobEvent[]), dropped: first ? dropped : 0 };
          first = false;
          inFlightSince.push(since);
          if (!call.write(message, () => written(count))) blocked = true;
        });
        dropped = 0;
        if (unsent >= WATCH_MAX_BUFFER) blocked = true;
      };
      const reader = {
        buffered: () => buffer.length + unsent,
        oldest: () => (inFlightSince.length > 0 ? inFlightSince[0] : bufferSince),
        evict: (reason: string) => {
          close();
          buffer = [];
          call.emit('error', { code: GrpcStatus.RESOURCE_EXHAUSTED, details: reason });
        },
      };
      watchBudget.join(reader);
      const unsubscribe = master.watch((change) => {
        if (queues.size > 0 && !queues.has(change.queue)) return;
        if (buffer.length + unsent >= WATCH_MAX_BUFFER) dropped++;
        else {
          if (buffer.length === 0) bufferSince = watchBudget.clock;
          buffer.push(eventToProto(change));
          watchBudget.grew(1);
        }
        if (!scheduled && !blocked && !closed) {
          scheduled = true;
          setImmediate(flush);
        }
      });
      call.on('drain', () => {
        if (unsent >= WATCH_MAX_BUFFER / 2) return;
        blocked = false;
        flush();
      });
      const close = () => {
        if (closed) return;
        closed = true;
        unsubscribe();
        watchBudget.leave(reader);
      };
      call.on('cancelled', close);
      call.on('close', close);
      call.on('error', close);
    },
  };
}
