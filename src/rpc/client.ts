/**
 * Clients of the master: a typed JobService client with a default deadline on every call, errors
 * turned into NucleusErrors with a message for a person, and a WorkerService client for workers.
 */
import { Metadata, type CallOptions, type ChannelOptions, type ClientOptions as GrpcClientOptions, type handleUnaryCall } from '@grpc/grpc-js';
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
  type DeepPartial,
  type JobSpec,
  type SubmitJobResponse,
  type JobServiceServer,
} from './generated/nucleus/v1/jobs.js';
import { WorkerServiceClient } from './generated/nucleus/v1/worker.js';
import { fromServiceError } from './status.js';
import { ErrorCode, NucleusError } from '../errors.js';
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

const channelOptions = (maxMessageBytes = 64 * 1024 * 1024): ChannelOptions => ({
  'grpc.max_receive_message_length': maxMessageBytes,
  'grpc.max_send_message_length': maxMessageBytes,
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

  /** Calls a unary method: `client.call('getJobStatus', {jobId})`; unset fields take their defaults. */
  call<M extends UnaryName>(method: M, request: DeepPartial<RequestOf<M>>, timeoutMs = this.timeoutMs): Promise<ResponseOf<M>> {
    const fn = this.raw[method] as unknown as Unary<RequestOf<M>, ResponseOf<M>>;
    const full = (REQUESTS[method] as unknown as { fromPartial(o: unknown): RequestOf<M> }).fromPartial(request);
    return new Promise((resolve, reject) => {
      fn.call(this.raw, full, new Metadata() as never, { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error) reject(fromServiceError(error, this.options.address));
        else resolve(response);
      });
    });
  }

  /**
   * Submits one job, coalescing with the other submits made in the same turn of the event loop
   * into one SubmitJobs call (each job judged on its own). This is how a producer with many
   * concurrent callers gets batch throughput without batching by hand. Resolves after the job
   * is committed; rejects with the job's own error when it is refused.
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

  private pending: Array<{ job: DeepPartial<JobSpec>; resolve: (r: SubmitJobResponse) => void; reject: (e: unknown) => void }> = [];
  private flushScheduled = false;

  private flushSubmits(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.call('submitJobs', { jobs: batch.map((b) => b.job), partial: true }).then(
      ({ results }) =>
        batch.forEach((b, i) => {
          const r = results[i];
          if (r?.jobId) b.resolve(r);
          else b.reject(new NucleusError((r?.errorCode as ErrorCode) || ErrorCode.Internal, r?.error || 'the master gave no answer for this job'));
        }),
      (error) => batch.forEach((b) => b.reject(error)),
    );
  }

  close(): void {
    this.raw.close();
  }
}

const MAX_COALESCED = 1000;

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
