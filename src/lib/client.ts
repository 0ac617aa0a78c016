/**
 * The library's Client: one typed method per operation of the master, built on MasterClient (the
 * same coalescing submit stream and deadlines the CLI uses).
 *
 * Several masters: the client talks to one at a time and moves to the next when the one it uses
 * cannot be reached. A call is sent again on another master only when that cannot do a thing
 * twice: reads always; a submit only when it carries an idempotency key (the master gives back
 * the first job for a key it has seen). A submit without a key that went unanswered is reported
 * as UNAVAILABLE and not sent again, since the master may have committed it.
 */
import { MasterClient, type ClientSecurityOptions } from '../rpc/client.js';
import { fromServiceError } from '../rpc/status.js';
import { ErrorCode, NucleusError, invalidArgument, toNucleusError } from '../errors.js';
import type { ClientTlsFiles } from '../rpc/tls.js';
import type { DeepPartial, GetStatsResponse, JobEvents, JobSpec } from '../rpc/generated/nucleus/v1/jobs.js';
import { statusFromProto } from '../rpc/convert.js';
import { isDefinedHandler, type DefinedHandler, type PayloadOf } from './define-handler.js';
import { eventInfo, jobInfo, jobSpec, statusesToProto, type JobEventInfo, type JobInfo, type JobStatus, type SubmitOptions, type Submitted } from './job-info.js';

export interface ClientOptions {
  /** host:port of each master, tried in order. Default: ['127.0.0.1:50051']. */
  masters?: string | readonly string[];
  /** Sent as a bearer token when the master asks for one. */
  token?: string | null;
  tls?: ClientTlsFiles | null;
  /** Deadline of each call, in ms. Default 10000. */
  timeoutMs?: number;
  /** With several masters: how long to wait for a connection before trying the next. Default 2000. */
  connectTimeoutMs?: number;
}

export interface ListFilter {
  status?: JobStatus | readonly JobStatus[];
  queue?: string;
  type?: string;
  workerId?: string;
  newestFirst?: boolean;
  /** Jobs per page fetched. Default 100. */
  pageSize?: number;
}

export interface ResultOptions {
  /** Wait until the job has finished. Default false. */
  wait?: boolean;
  /** How long to wait, in ms. Default 30000. */
  timeoutMs?: number;
}

export interface JobResult<R = unknown> {
  /** False when the wait ran out first. */
  finished: boolean;
  status: JobStatus;
  result: R | null;
  error: string | null;
  job: JobInfo;
}

export interface Stats {
  version: string;
  counts: Partial<Record<JobStatus, number>>;
  queues: Array<{ name: string; paused: boolean; counts: Partial<Record<JobStatus, number>> }>;
  workers: GetStatsResponse['workers'];
  raw: GetStatsResponse;
}

const DEFAULT_MASTER = '127.0.0.1:50051';

export class Client {
  private readonly addresses: string[];
  private readonly clients = new Map<string, MasterClient>();
  private current = 0;
  private readonly security: ClientSecurityOptions;

  constructor(private readonly options: ClientOptions = {}) {
    const masters = options.masters === undefined ? [DEFAULT_MASTER] : typeof options.masters === 'string' ? [options.masters] : [...options.masters];
    if (masters.length === 0) throw invalidArgument('masters', 'give at least one host:port');
    for (const m of masters) if (typeof m !== 'string' || !/^.+:\d+$/.test(m)) throw invalidArgument('masters', `"${String(m)}" is not host:port`);
    this.addresses = masters;
    this.security = { token: options.token ?? null, tls: options.tls ?? null };
  }

  /** The address in use now. */
  get master(): string {
    return this.addresses[this.current];
  }

  // ------------------------------------------------------------------ submits

  submit<H extends DefinedHandler>(handler: H, payload: PayloadOf<H>, options?: SubmitOptions): Promise<Submitted>;
  submit(type: string, payload?: unknown, options?: SubmitOptions): Promise<Submitted>;
  async submit(target: string | DefinedHandler, payload?: unknown, options: SubmitOptions = {}): Promise<Submitted> {
    const spec = specOf(target, payload, options);
    const keyed = Boolean(options.idempotencyKey);
    const r = await this.withMaster((c) => c.submit(spec), keyed);
    return { id: r.jobId, status: statusFromProto(r.status) as JobStatus, duplicate: r.duplicate };
  }

  /**
   * Submits many jobs; answers in order, one per job: the job, or the error that refused it (each
   * job is judged on its own). Rejects only when the master could not be reached at all.
   */
  async submitMany(jobs: ReadonlyArray<{ type: string | DefinedHandler; payload?: unknown; options?: SubmitOptions }>): Promise<Array<Submitted | { error: NucleusError }>> {
    const specs = jobs.map((j, i) => {
      try {
        return specOf(j.type, j.payload, j.options ?? {});
      } catch (error) {
        throw new NucleusError(toNucleusError(error).code, `jobs[${i}]: ${(error as Error).message}`);
      }
    });
    const keyed = jobs.length > 0 && jobs.every((j) => Boolean(j.options?.idempotencyKey));
    const answers = await this.withMaster((c) => c.submitMany(specs), keyed);
    return answers.map((r) => (r.jobId ? { id: r.jobId, status: statusFromProto(r.status) as JobStatus, duplicate: r.duplicate } : { error: new NucleusError((r.errorCode as ErrorCode) || ErrorCode.Internal, r.error) }));
  }

  // ------------------------------------------------------------------ reads

  async get(id: string): Promise<JobInfo> {
    const { job } = await this.withMaster((c) => c.call('getJobStatus', { jobId: id }), true);
    return jobInfo(job!);
  }

  async result<R = unknown>(id: string, options: ResultOptions = {}): Promise<JobResult<R>> {
    const waitMs = options.timeoutMs ?? 30_000;
    const r = await this.withMaster((c) => c.call('getJobResult', { jobId: id, wait: options.wait ?? false, waitTimeoutMs: waitMs }, waitMs + (this.options.timeoutMs ?? 10_000)), true);
    const job = jobInfo(r.job!);
    return { finished: r.finished, status: job.status, result: job.result as R | null, error: job.error, job };
  }

  /** Every job that matches, page after page. */
  async *list(filter: ListFilter = {}): AsyncGenerator<JobInfo> {
    const statuses = statusesToProto('status', filter.status);
    let pageToken = '';
    do {
      const page = await this.withMaster(
        (c) => c.call('listJobs', { statuses, queue: filter.queue ?? '', type: filter.type ?? '', workerId: filter.workerId ?? '', limit: filter.pageSize ?? 100, pageToken, newestFirst: filter.newestFirst ?? false }),
        true,
      );
      for (const job of page.jobs) yield jobInfo(job);
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  /**
   * Job events as they happen (from now on), until the loop breaks or `signal` aborts. A watcher
   * that reads too slowly misses events; the next event says how many (`missedBefore`).
   */
  async *watch(filter: { queues?: readonly string[]; signal?: AbortSignal } = {}): AsyncGenerator<JobEventInfo> {
    const client = await this.pick();
    const stream = client.raw.watchEvents({ queues: [...(filter.queues ?? [])] });
    const stop = () => stream.cancel();
    filter.signal?.addEventListener('abort', stop, { once: true });
    try {
      for await (const batch of stream as AsyncIterable<JobEvents>) {
        let missed = batch.dropped;
        for (const e of batch.events) {
          yield eventInfo(e, missed);
          missed = 0;
        }
      }
    } catch (error) {
      if (filter.signal?.aborted) return;
      throw fromServiceError(error, client.options.address);
    } finally {
      filter.signal?.removeEventListener('abort', stop);
      stream.cancel();
    }
  }

  async stats(): Promise<Stats> {
    const raw = await this.withMaster((c) => c.call('getStats', {}), true);
    const counts = (list: GetStatsResponse['counts']) => Object.fromEntries(list.map((c) => [statusFromProto(c.status), c.count])) as Partial<Record<JobStatus, number>>;
    return { version: raw.version, counts: counts(raw.counts), queues: raw.queues.map((q) => ({ name: q.name, paused: q.paused, counts: counts(q.counts) })), workers: raw.workers, raw };
  }

  // ------------------------------------------------------------------ changes

  async cancel(id: string): Promise<JobInfo> {
    const { job } = await this.withMaster((c) => c.call('cancelJob', { jobId: id }), false);
    return jobInfo(job!);
  }

  /** Runs a failed, dead-lettered or cancelled job again; gives the ids of the jobs re-queued. */
  async retry(id: string): Promise<string[]> {
    return (await this.withMaster((c) => c.call('retryJob', { jobId: id }), false)).jobIds;
  }

  async pause(queue: string): Promise<void> {
    await this.withMaster((c) => c.call('pauseQueue', { queue, paused: true }), true);
  }

  async resume(queue: string): Promise<void> {
    await this.withMaster((c) => c.call('pauseQueue', { queue, paused: false }), true);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  // ------------------------------------------------------------------ masters

  private clientFor(address: string): MasterClient {
    let c = this.clients.get(address);
    if (!c) {
      c = new MasterClient({ address, timeoutMs: this.options.timeoutMs, ...this.security });
      this.clients.set(address, c);
    }
    return c;
  }

  /**
   * The master to use: with one, that one (calls connect by themselves, as in the CLI); with
   * several, the current one if it is connected or connects within connectTimeoutMs, else the
   * next that does. Nothing has been sent when this fails, so trying the next is always safe.
   */
  private async pick(): Promise<MasterClient> {
    if (this.addresses.length === 1) return this.clientFor(this.addresses[0]);
    const reasons: string[] = [];
    for (let n = 0; n < this.addresses.length; n++) {
      const i = (this.current + n) % this.addresses.length;
      const c = this.clientFor(this.addresses[i]);
      const READY = 2; // grpc connectivityState.READY
      if (c.raw.getChannel().getConnectivityState(true) !== READY) {
        try {
          await c.waitForReady(this.options.connectTimeoutMs ?? 2_000);
        } catch (error) {
          reasons.push((error as Error).message);
          continue;
        }
      }
      this.current = i;
      return c;
    }
    throw new NucleusError(ErrorCode.Unavailable, `no master reachable: ${reasons.join('; ')}`);
  }

  /** Runs `op` on a master; when that master went away or quiet and `repeatable`, once more on the next one. */
  private async withMaster<T>(op: (c: MasterClient) => Promise<T>, repeatable: boolean): Promise<T> {
    const c = await this.pick();
    try {
      return await op(c);
    } catch (error) {
      const e = toNucleusError(error);
      const quiet = e.code === ErrorCode.Unavailable || e.code === ErrorCode.DeadlineExceeded;
      if (!repeatable || this.addresses.length === 1 || !quiet) throw e;
      this.current = (this.current + 1) % this.addresses.length;
      return op(await this.pick());
    }
  }
}

function specOf(target: string | DefinedHandler, payload: unknown, options: SubmitOptions): DeepPartial<JobSpec> {
  if (isDefinedHandler(target)) {
    target.parse(payload); // the worker checks again; this refuses a bad payload before it travels
    return jobSpec(target.type, payload, options);
  }
  if (typeof target !== 'string' || target.length === 0) throw invalidArgument('type', 'give a job type name or a handler made by defineHandler');
  return jobSpec(target, payload, options);
}
