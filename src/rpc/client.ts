/**
 * Clients of the master: a typed JobService client with a default deadline on every call, errors
 * turned into NucleusErrors with a message for a person, and a WorkerService client for workers.
 */
import {
  Metadata,
  status as GrpcStatus,
  type CallOptions,
  type ChannelOptions,
  type ClientDuplexStream,
  type ClientOptions as GrpcClientOptions,
  type handleUnaryCall,
} from '@grpc/grpc-js';
import {
  CancelJobRequest,
  GetJobResultRequest,
  GetJobStatusRequest,
  GetStatsRequest,
  JobServiceClient,
  ListJobsRequest,
  PauseQueueRequest,
  RetryJobRequest,
  SubmitJobRequest,
  SubmitJobsRequest,
  JobSpec as JobSpecMessage,
  type DeepPartial,
  type SubmitBatch,
  type SubmitBatchResult,
  type JobSpec,
  type SubmitJobResponse,
  type JobServiceServer,
  type JobStatus,
} from './generated/nucleus/v1/jobs.js';
import { WorkerServiceClient } from './generated/nucleus/v1/worker.js';
import { fromServiceError } from './status.js';
import { ErrorCode, NucleusError, toNucleusError } from '../errors.js';
import { tokenInterceptor } from './auth.js';
import { channelCredentials, type ClientTlsFiles } from './tls.js';

export const DEFAULT_MASTER = '127.0.0.1:50051';

export interface ClientOptions {
  /** host:port of the master. */
  address: string;
  /** Deadline for each unary call, in ms. */
  timeoutMs?: number;
  maxMessageBytes?: number;
  /** Sent as `authorization: Bearer <token>` on every call when the master asks for one. */
  token?: string | null;
  /** TLS files when the master serves TLS; default plaintext. */
  tls?: ClientTlsFiles | null;
}

/** What a connection to the master carries besides its address. */
export type ClientSecurityOptions = Pick<ClientOptions, 'token' | 'tls'>;

/** Channel options plus the token interceptor, for any client of the master. */
function grpcClientOptions(maxMessageBytes: number | undefined, security: ClientSecurityOptions): GrpcClientOptions {
  return { ...channelOptions(maxMessageBytes), ...(security.token ? { interceptors: [tokenInterceptor(security.token)] } : {}) };
}

/**
 * Receiving is not limited by default: the master bounds what it sends (its own send limit, twice
 * its --max-payload plus headroom, so a job read with payload and result fits), and a client limit
 * lower than that made big jobs unreadable. Sending is bounded; the master refuses more anyway.
 */
const channelOptions = (maxMessageBytes?: number): ChannelOptions => ({
  'grpc.max_receive_message_length': maxMessageBytes ?? -1,
  'grpc.max_send_message_length': maxMessageBytes ?? 64 * 1024 * 1024,
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
});

type Unary<Req, Res> = (request: Req, metadata: never, options: Partial<CallOptions>, callback: (error: unknown, response: Res) => void) => unknown;

/** A JobService client whose methods return promises. */
export class MasterClient {
  readonly raw: JobServiceClient;
  private readonly timeoutMs: number;

  constructor(readonly options: ClientOptions) {
    this.raw = new JobServiceClient(options.address, channelCredentials(options.tls ?? null), grpcClientOptions(options.maxMessageBytes, options));
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /**
   * Resolves once the connection to the master is up, so that a producer can fail fast (or start
   * its clock) before its first submit; rejects with one clear line when the master cannot be
   * reached within `timeoutMs`. Calls connect by themselves; this is never required.
   */
  waitForReady(timeoutMs = this.timeoutMs): Promise<void> {
    return new Promise((resolve, reject) => {
      this.raw.waitForReady(Date.now() + timeoutMs, (error) => {
        if (error) reject(new NucleusError(ErrorCode.Unavailable, `cannot reach the master at ${this.options.address} (no connection within ${timeoutMs} ms)`));
        else resolve();
      });
    });
  }

  /** Calls a unary method: `client.call('getJobStatus', {jobId})`; unset fields take their defaults. */
  call<M extends UnaryName>(method: M, request: DeepPartial<RequestOf<M>>, timeoutMs = this.timeoutMs): Promise<ResponseOf<M>> {
    const fn = this.raw[method] as unknown as Unary<RequestOf<M>, ResponseOf<M>>;
    const full = (REQUESTS[method] as unknown as { fromPartial(o: unknown): RequestOf<M> }).fromPartial(request);
    return new Promise((resolve, reject) => {
      fn.call(this.raw, full, new Metadata() as never, { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error) reject(fromServiceError(error, this.options.address, this.options.tls != null));
        else resolve(response);
      });
    });
  }

  /**
   * Submits one job, coalescing with the other submits made in the same turn of the event loop
   * into one batch (each job judged on its own). This is how a producer with many concurrent
   * callers gets batch throughput without batching by hand. The batches travel on one
   * SubmitStream, opened on first use and closed after a moment without submits, so a batch
   * costs a message, not a call. Resolves after the job is committed; rejects with the job's own
   * error when it is refused, or with the batch's when the batch got no answer in time.
   */
  submit(job: DeepPartial<JobSpec>): Promise<SubmitJobResponse> {
    return new Promise((resolve, reject) => {
      this.pending.push({ job, resolve, reject });
      if (this.pending.length >= MAX_COALESCED) this.flushSubmits();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flushSubmits());
      }
    });
  }

  private pending: PendingSubmit[] = [];
  private flushScheduled = false;
  private submitStream: SubmitStream | null = null;
  private readonly inFlight = new Map<number, InFlightBatch>();
  private nextBatchId = 1;
  private idleTimer: NodeJS.Timeout | null = null;
  /** The master predates SubmitStream: batches go as SubmitJobs calls. */
  private streamUnsupported = false;

  /**
   * Submits many jobs and resolves with one answer per job, in order: `jobId`, or `error` and
   * `errorCode` for a job the master refused (each job is judged on its own, as with `partial`).
   * The jobs travel as batches of at most SUBMIT_MANY_BATCH on the submit stream, one batch per
   * turn of the event loop, so that the master commits one batch while the next is encoded. Every
   * answered job is committed. Rejects only when no batch was answered at all (master unreachable,
   * draining, no answer in time); when only some were, the others' jobs carry that error.
   */
  async submitMany(jobs: DeepPartial<JobSpec>[]): Promise<SubmitJobResponse[]> {
    const parts = splitBatches(jobs, SUBMIT_MANY_BATCH);
    const pending: Promise<SubmitJobResponse[] | Error>[] = [];
    for (const [i, part] of parts.entries()) {
      if (i > 0) await new Promise(setImmediate); // the previous batch leaves before this one is encoded
      pending.push(new Promise((done) => this.sendBatch(part.map((job) => JobSpecMessage.fromPartial(job)), done)));
    }
    const answers = await Promise.all(pending);
    if (answers.length > 0 && answers.every((a) => a instanceof Error)) throw answers[0];
    return answers.flatMap((a, i) => parts[i].map((_, k) => (a instanceof Error ? refusal(toNucleusError(a)) : (a[k] ?? refusal(noAnswer())))));
  }

  private flushSubmits(): void {
    this.flushScheduled = false;
    const pending = this.pending;
    this.pending = [];
    for (const submits of splitBatches(pending, MAX_COALESCED, (s) => s.job)) {
      this.sendBatch(
        submits.map((s) => JobSpecMessage.fromPartial(s.job)),
        (answer) => (answer instanceof Error ? submits.forEach((s) => s.reject(answer)) : settle(submits, answer)),
      );
    }
  }

  /** Sends one batch on the submit stream (or as a SubmitJobs call to a master without it). */
  private sendBatch(jobs: JobSpec[], done: BatchDone): void {
    if (this.streamUnsupported) {
      this.call('submitJobs', { jobs, partial: true }).then(
        ({ results }) => done(results),
        (error) => done(error),
      );
      return;
    }
    const batchId = this.nextBatchId;
    this.nextBatchId = this.nextBatchId >= 0xffffffff ? 1 : this.nextBatchId + 1;
    const timer = setTimeout(() => {
      this.inFlight.delete(batchId);
      done(new NucleusError(ErrorCode.DeadlineExceeded, `the master at ${this.options.address} did not answer in time`));
      this.armIdle();
    }, this.timeoutMs);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const stream = this.openSubmitStream();
    this.inFlight.set(batchId, { jobs, done, timer, stream });
    stream.write({ batchId, jobs, shortAnswer: true });
  }

  private openSubmitStream(): SubmitStream {
    if (this.submitStream) return this.submitStream;
    const stream = this.raw.submitStream();
    this.submitStream = stream;
    stream.on('data', (answer: SubmitBatchResult) => {
      const batch = this.inFlight.get(answer.batchId);
      if (!batch) return; // timed out already
      this.inFlight.delete(answer.batchId);
      clearTimeout(batch.timer);
      if (answer.error) batch.done(new NucleusError((answer.errorCode as ErrorCode) || ErrorCode.Internal, answer.error));
      else batch.done(answer.firstJobId > 0 ? shortAnswerResults(answer.firstJobId, answer.status, batch.jobs.length) : answer.results);
      this.armIdle();
    });
    const ended = (error: unknown) => {
      if (this.submitStream === stream) this.submitStream = null;
      const batches: InFlightBatch[] = [];
      for (const [id, b] of this.inFlight) {
        if (b.stream !== stream) continue;
        this.inFlight.delete(id);
        batches.push(b);
      }
      if ((error as { code?: number } | null)?.code === GrpcStatus.UNIMPLEMENTED) {
        // An older master: the same batches again, as calls.
        this.streamUnsupported = true;
        for (const b of batches) {
          clearTimeout(b.timer);
          this.sendBatch(b.jobs, b.done);
        }
        return;
      }
      const failure = error
        ? fromServiceError(error, this.options.address, this.options.tls != null)
        : new NucleusError(ErrorCode.Unavailable, `the master at ${this.options.address} closed the submit stream`);
      for (const b of batches) {
        clearTimeout(b.timer);
        b.done(failure);
      }
    };
    stream.on('error', (error) => ended(error));
    stream.on('end', () => ended(null));
    return stream;
  }

  /** Closes the submit stream after a moment without batches, so that an idle client holds nothing open. */
  private armIdle(): void {
    if (this.inFlight.size > 0 || this.idleTimer || !this.submitStream) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.inFlight.size === 0 && this.pending.length === 0) {
        this.submitStream?.end();
        this.submitStream = null;
      }
    }, SUBMIT_STREAM_IDLE_MS);
    this.idleTimer.unref();
  }

  close(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.submitStream?.end();
    this.submitStream = null;
    this.raw.close();
  }
}

const MAX_COALESCED = 1000;
/**
 * Most jobs per batch of submitMany(). Smaller batches let the master work on one while the
 * client encodes the next; each costs a message and a commit.
 */
const SUBMIT_MANY_BATCH = 256;
/** Most bytes of jobs per coalesced batch; below any master's message limit (payload limit + 64 KiB). */
const COALESCED_BYTES = 60 * 1024;

/**
 * Cuts items into batches of at most `maxCount` and at most COALESCED_BYTES of jobs (a job bigger
 * than that goes alone): the master refuses a message over its payload limit plus 64 KiB, and jobs
 * that are each within the limit must not be refused for having been sent together.
 */
function splitBatches<T>(items: T[], maxCount: number, jobOf: (item: T) => DeepPartial<JobSpec> = (item) => item as DeepPartial<JobSpec>): T[][] {
  const batches: T[][] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < items.length; i++) {
    const size = specBytes(jobOf(items[i]));
    if (i > start && (bytes + size > COALESCED_BYTES || i - start >= maxCount)) {
      batches.push(items.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (items.length > start) batches.push(start === 0 ? items : items.slice(start));
  return batches;
}

/** A job's size on the wire, roughly and from above. */
function specBytes(job: DeepPartial<JobSpec>): number {
  const text = (job.type?.length ?? 0) + (job.queue?.length ?? 0) + (job.contentType?.length ?? 0) + (job.idempotencyKey?.length ?? 0);
  return (job.payload?.length ?? 0) + 3 * text + 64; // UTF-8: at most 3 bytes per UTF-16 unit
}
const SUBMIT_STREAM_IDLE_MS = 100;

type SubmitStream = ClientDuplexStream<SubmitBatch, SubmitBatchResult>;

/** Receives a batch's answers, or the error that left it unanswered. */
type BatchDone = (answer: SubmitJobResponse[] | Error) => void;

/** A batch sent on a submit stream and not answered yet. */
interface InFlightBatch {
  jobs: JobSpec[];
  done: BatchDone;
  timer: NodeJS.Timeout;
  stream: SubmitStream;
}

interface PendingSubmit {
  job: DeepPartial<JobSpec>;
  resolve: (r: SubmitJobResponse) => void;
  reject: (e: unknown) => void;
}

/** Resolves or rejects each submit with its own answer. */
function settle(submits: PendingSubmit[], results: SubmitJobResponse[]): void {
  submits.forEach((s, i) => {
    const r = results[i];
    if (r?.jobId) s.resolve(r);
    else s.reject(r ? new NucleusError((r.errorCode as ErrorCode) || ErrorCode.Internal, r.error || noAnswer().message) : noAnswer());
  });
}

/** The per-job answers a short answer stands for: consecutive new jobs, all with one status. */
function shortAnswerResults(firstJobId: number, status: JobStatus, count: number): SubmitJobResponse[] {
  const results: SubmitJobResponse[] = new Array(count);
  for (let k = 0; k < count; k++) results[k] = { jobId: String(firstJobId + k), status, duplicate: false, error: '', errorCode: '', warning: '' };
  return results;
}

const noAnswer = (): NucleusError => new NucleusError(ErrorCode.Internal, 'the master gave no answer for this job');

/** A job's answer that carries an error instead of an id. */
const refusal = (error: NucleusError): SubmitJobResponse => ({ jobId: '', status: 0, duplicate: false, error: error.message, errorCode: error.code, warning: '' });

const REQUESTS = {
  submitJob: SubmitJobRequest,
  submitJobs: SubmitJobsRequest,
  getJobStatus: GetJobStatusRequest,
  getJobResult: GetJobResultRequest,
  cancelJob: CancelJobRequest,
  retryJob: RetryJobRequest,
  listJobs: ListJobsRequest,
  pauseQueue: PauseQueueRequest,
  getStats: GetStatsRequest,
} as const;

type UnaryName = 'submitJob' | 'submitJobs' | 'getJobStatus' | 'getJobResult' | 'cancelJob' | 'retryJob' | 'listJobs' | 'pauseQueue' | 'getStats';
type RequestOf<M extends UnaryName> = JobServiceServer[M] extends handleUnaryCall<infer Req, infer _Res> ? Req : never;
type ResponseOf<M extends UnaryName> = JobServiceServer[M] extends handleUnaryCall<infer _Req, infer Res> ? Res : never;

export function workerClient(address: string, maxMessageBytes?: number, security: ClientSecurityOptions = {}): WorkerServiceClient {
  return new WorkerServiceClient(address, channelCredentials(security.tls ?? null), grpcClientOptions(maxMessageBytes, security));
}
