/**
 * The worker runtime: one Connect stream to the master, a fixed number of slots, handlers run
 * with an AbortSignal, heartbeats, and results that are kept until the master acknowledges them.
 *
 * Guarantees:
 * - Never runs more attempts at once than its concurrency (the master never sends more).
 * - A result is kept until acknowledged, and sent again after a reconnect or when no ack came
 *   within two heartbeat intervals. The master fences duplicates by lease.
 * - While the master is away it keeps running what it holds and reconnects with backoff; the
 *   Hello after a reconnect lists what it still holds, so the master can reattach those leases.
 * - stop(): stops taking work, lets running handlers finish within the grace period, aborts and
 *   gives back (Goodbye) what is left, waits briefly for its results to be acknowledged.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { status as GrpcStatus, type ClientDuplexStream } from '@grpc/grpc-js';
import { ErrorCode, NucleusError } from '../errors.js';
import { workerClient, type ClientSecurityOptions } from '../rpc/client.js';
import { outcomeToProto } from '../rpc/convert.js';
import { ENVELOPE_BYTES, ITEM_OVERHEAD_BYTES, utf8Bound, writeInParts } from '../rpc/message-parts.js';
import { NonRetryableError, type HandlerContext, type HandlerMap } from '../handlers/handler.js';
import type { Assignment, MasterMessage, Result, WorkerMessage } from '../rpc/generated/nucleus/v1/worker.js';
import type { WorkerServiceClient } from '../rpc/generated/nucleus/v1/worker.js';
import type { ResultOutcome } from '../master/protocol.js';
import type { Logger } from '../log.js';
import { tlsProblem } from '../rpc/status.js';

export type WorkerState = 'starting' | 'running' | 'draining' | 'stopped';

/** How one attempt ended on this worker (for metrics); given-back attempts are not reported. */
export interface AttemptEndInfo {
  jobId: string;
  attempt: number;
  /** Empty when it completed. */
  error: string;
  type: string;
  queue: string;
  outcome: ResultOutcome;
  durationMs: number;
}

/** What the library's Worker turns into its events; must be cheap and must not throw. */
export type RuntimeEvent =
  | { kind: 'connected'; master: string }
  | { kind: 'disconnected'; master: string; reason: string }
  /** The master took back a lease this worker held (reported on reconnect, or a result refused). */
  | { kind: 'lost'; jobId: string; attempt: number; reason: string };

export interface WorkerOptions extends ClientSecurityOptions {
  id: string;
  /** host:port of the master. */
  master: string;
  concurrency: number;
  queues: string[];
  handlers: HandlerMap;
  logger: Logger;
  /** Until the master's Welcome says otherwise. */
  heartbeatIntervalMs?: number;
  version?: string;
  maxMessageBytes?: number;
}

/**
 * What a handler gets besides its payload. A class rather than an object literal with getters:
 * V8 builds a literal with accessors on its slow path (about 400 ns per job against 28 ns for a
 * class instance, measured on Node 20). `progress` is a property, not a method, so that
 * `const { progress } = ctx` works.
 */
class AttemptContext implements HandlerContext {
  readonly jobId: string;
  readonly attempt: number;
  readonly queue: string;
  readonly type: string;
  readonly progress: (percent: number, message?: string) => void;
  readonly #state: RunningAttempt;
  readonly #baseLogger: Logger;
  #logger: Logger | null = null;

  constructor(a: Assignment, state: RunningAttempt, baseLogger: Logger) {
    this.jobId = a.jobId;
    this.attempt = a.attempt;
    this.queue = a.queue;
    this.type = a.type;
    this.#state = state;
    this.#baseLogger = baseLogger;
    this.progress = (percent, message) => {
      state.progress = Math.max(0, Math.min(100, Number(percent) || 0));
      if (message !== undefined) state.message = String(message).slice(0, 1024);
    };
  }

  /** Made on first use: most handlers never read it, and an AbortController per job costs. */
  get signal(): AbortSignal {
    const state = this.#state;
    state.controller ??= new AbortController();
    if (state.abortReason) state.controller.abort(new Error(String(state.abortReason)));
    return state.controller.signal;
  }

  /** Made on first use: most handlers never log, and a child logger per job costs. */
  get logger(): Logger {
    return (this.#logger ??= this.#baseLogger.child({ job: this.jobId, attempt: this.attempt }));
  }
}

/** What a failed attempt reports as its result. */
const NO_RESULT: { bytes: Buffer<ArrayBufferLike>; contentType: string } = { bytes: Buffer.alloc(0), contentType: '' };

interface RunningAttempt {
  jobId: string;
  attempt: number;
  /** Made when the handler first reads `ctx.signal`: most handlers never do, and one per job costs. */
  controller: AbortController | null;
  /** Ends the race between a handler's promise and an abort. */
  rejectRace: ((reason: unknown) => void) | null;
  progress: number;
  message: string;
  /** Why it was aborted, when it was. */
  abortReason: ResultOutcome | 'shutdown' | null;
  /** When it times out, on the monotonic clock (`performance.now()`); Infinity without a timeout. */
  deadline: number;
}

interface Outgoing {
  result: Result;
  sentAt: number;
}

const key = (jobId: string, attempt: number) => `${jobId}#${attempt}`;

/**
 * Statuses that end a stream before its Welcome for a reason the next attempt would meet again:
 * a Hello the master cannot take, a missing or wrong token, an id held by another live worker.
 * Anything else (the master away, starting, draining) is worth a reconnect.
 */
const PERMANENT = new Set<number>([GrpcStatus.INVALID_ARGUMENT, GrpcStatus.UNAUTHENTICATED, GrpcStatus.PERMISSION_DENIED, GrpcStatus.ALREADY_EXISTS]);
/** Bytes per Results or Heartbeat message at most; well under the master's default message limit (1 MiB + 64 KiB). */
const RESULTS_MESSAGE_BYTES = 256 * 1024;
/** The master takes messages of its payload limit plus this much (see services/master.ts). */
const MASTER_MESSAGE_HEADROOM = 64 * 1024;
const resultBytes = (r: Result): number => r.result.byteLength + utf8Bound(r.error) + utf8Bound(r.contentType) + ITEM_OVERHEAD_BYTES;
const runningBytes = (r: { jobId: string; progressMessage: string }): number => r.jobId.length + utf8Bound(r.progressMessage) + ITEM_OVERHEAD_BYTES;
const JSON_TYPE = 'application/json';

export class Worker {
  private stateValue: WorkerState = 'starting';
  private client: WorkerServiceClient | null = null;
  private stream: ClientDuplexStream<WorkerMessage, MasterMessage> | null = null;
  private connected = false;
  private readonly running = new Map<string, RunningAttempt>();
  private readonly unacked = new Map<string, Outgoing>();
  private outbox: Result[] = [];
  private flushScheduled = false;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeatIntervalMs: number;
  private reconnectAttempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /**
   * One timer for all timeouts, armed for the earliest deadline of the running attempts. A
   * timer per attempt (set, then cleared when it ends) was about a tenth of a busy worker's time.
   */
  private deadlineTimer: NodeJS.Timeout | null = null;
  private deadlineAt = Infinity;
  private idleWaiters: Array<() => void> = [];
  jobsDone = 0;
  /** The largest result the master takes (from its Welcome). */
  private maxResultBytes = 1024 * 1024;
  /**
   * Made once per worker and sent only in Hello: the master binds this worker's leases to it, so
   * that after a reconnect this process (and no other) gets them back.
   */
  private readonly sessionSecret = randomBytes(24).toString('base64url');
  private settleRefused: (error: NucleusError) => void = () => undefined;
  /**
   * Settles when the master refuses this worker for good (see PERMANENT); it then stops
   * reconnecting, and its owner should stop it. Never settles otherwise.
   */
  readonly refused = new Promise<NucleusError>((resolve) => {
    this.settleRefused = resolve;
  });
  /** Called as each attempt ends, before its result is sent; must be cheap and must not throw. */
  onAttemptEnd?: (end: AttemptEndInfo) => void;
  onEvent?: (event: RuntimeEvent) => void;
  /** Called at the end of stop(), once the stream is closed (e.g. to end isolated runners). */
  onStopped?: () => Promise<void>;

  constructor(private readonly options: WorkerOptions) {
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3000;
  }

  get state(): WorkerState {
    return this.stateValue;
  }

  get busy(): number {
    return this.running.size;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  start(): void {
    if (this.stateValue !== 'starting') throw new Error(`cannot start a worker that is ${this.stateValue}`);
    this.stateValue = 'running';
    this.client = workerClient(this.options.master, this.options.maxMessageBytes, { token: this.options.token, tls: this.options.tls });
    this.connect();
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.heartbeatIntervalMs);
  }

  // ---------------------------------------------------------------- connection

  private connect(): void {
    if (this.stateValue === 'stopped' || !this.client) return;
    const stream = this.client.connect();
    this.stream = stream;
    const held = [...this.running.values()].map((r) => ({ jobId: r.jobId, attempt: r.attempt }));
    for (const o of this.unacked.values()) held.push({ jobId: o.result.jobId, attempt: o.result.attempt });
    stream.write({
      msg: {
        $case: 'hello',
        value: {
          workerId: this.options.id,
          concurrency: this.options.concurrency,
          queues: this.options.queues,
          jobTypes: Object.keys(this.options.handlers),
          hostname: hostname(),
          pid: process.pid,
          version: this.options.version ?? '',
          held,
          sessionSecret: this.sessionSecret,
        },
      },
    });
    stream.on('data', (message: MasterMessage) => this.onMessage(message));
    const lost = (reason: string, code?: number) => {
      if (this.stream !== stream) return;
      this.stream = null;
      const wasConnected = this.connected;
      this.connected = false;
      if (this.stateValue === 'stopped') return;
      if (!wasConnected && code !== undefined && PERMANENT.has(code)) {
        this.settleRefused(new NucleusError(ErrorCode.Refused, `the master at ${this.options.master} refused this worker: ${reason}`));
        return;
      }
      const delay = Math.min(5000, 200 * 2 ** this.reconnectAttempt++);
      if (wasConnected) this.onEvent?.({ kind: 'disconnected', master: this.options.master, reason });
      if (wasConnected || this.reconnectAttempt === 1) {
        this.options.logger.warn({ reason, retryInMs: delay, holding: this.running.size }, 'lost the master; reconnecting');
      }
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    };
    // A TLS handshake failure is logged as what is wrong and the flag that fixes it.
    stream.on('error', (error: Error & { details?: string; code?: number }) => {
      const details = error.details ?? error.message;
      lost(tlsProblem(details, this.options.tls != null) ?? details, error.code);
    });
    stream.on('end', () => lost('stream ended'));
  }

  private onMessage(message: MasterMessage): void {
    const msg = message.msg;
    switch (msg?.$case) {
      case 'welcome': {
        this.connected = true;
        this.reconnectAttempt = 0;
        if (msg.value.maxResultBytes > 0) this.maxResultBytes = msg.value.maxResultBytes;
        if (msg.value.heartbeatIntervalMs > 0 && msg.value.heartbeatIntervalMs !== this.heartbeatIntervalMs) {
          this.heartbeatIntervalMs = msg.value.heartbeatIntervalMs;
          if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
          this.heartbeatTimer = setInterval(() => this.heartbeat(), this.heartbeatIntervalMs);
        }
        for (const lease of msg.value.refused) {
          const k = key(lease.jobId, lease.attempt);
          this.unacked.delete(k);
          this.abort(k, 'cancelled');
          this.onEvent?.({ kind: 'lost', jobId: lease.jobId, attempt: lease.attempt, reason: 'the master no longer holds this lease for this worker' });
        }
        this.options.logger.info({ master: this.options.master, reattached: msg.value.reattached.length }, 'connected to the master');
        if (this.stateValue === 'draining') this.stream?.write({ msg: { $case: 'drain', value: { reason: 'worker stopping' } } });
        this.resend(0);
        this.onEvent?.({ kind: 'connected', master: this.options.master });
        break;
      }
      case 'assignments':
        for (const assignment of msg.value.assignments) void this.run(assignment);
        break;
      case 'cancel':
        for (const lease of msg.value.leases) {
          this.abort(key(lease.jobId, lease.attempt), msg.value.reason === 'timeout' ? 'timeout' : 'cancelled');
        }
        break;
      case 'acks':
        for (const ack of msg.value.acks) {
          this.unacked.delete(key(ack.jobId, ack.attempt));
          if (!ack.accepted) {
            this.options.logger.debug({ job: ack.jobId, attempt: ack.attempt, reason: ack.reason }, 'result refused');
            this.onEvent?.({ kind: 'lost', jobId: ack.jobId, attempt: ack.attempt, reason: ack.reason });
          }
        }
        this.notifyIdle();
        break;
      case 'drain':
        this.options.logger.info({ reason: msg.value.reason }, 'master is draining');
        break;
    }
  }

  /** The most a message to the master may hold, by the running count of message-parts.ts. */
  private get messageBudget(): number {
    return Math.min(RESULTS_MESSAGE_BYTES, this.maxResultBytes + MASTER_MESSAGE_HEADROOM - ENVELOPE_BYTES);
  }

  private heartbeat(): void {
    if (!this.connected || !this.stream) return;
    const running = [...this.running.values()].map((r) => ({ jobId: r.jobId, attempt: r.attempt, progress: r.progress, progressMessage: r.message }));
    if (running.length === 0) this.stream.write({ msg: { $case: 'heartbeat', value: { running } } });
    else writeInParts(running, runningBytes, this.messageBudget, (part) => this.stream?.write({ msg: { $case: 'heartbeat', value: { running: part } } }));
    this.resend(2 * this.heartbeatIntervalMs);
  }

  /** Sends again the results not acknowledged within `olderThanMs`. */
  private resend(olderThanMs: number): void {
    if (!this.connected || !this.stream) return;
    const now = Date.now();
    const results: Result[] = [];
    for (const o of this.unacked.values()) {
      if (now - o.sentAt < olderThanMs) continue;
      o.sentAt = now;
      results.push(o.result);
    }
    this.sendResults(results);
  }

  /**
   * Writes results in messages that fit the master's limit (one result per message at least): the
   * master ends a stream whose message is over its size limit, so several large results, or very
   * many small ones, finishing together must not travel as one message.
   */
  private sendResults(results: Result[]): void {
    writeInParts(results, resultBytes, this.messageBudget, (part) => this.stream?.write({ msg: { $case: 'results', value: { results: part } } }));
  }

  // ---------------------------------------------------------------- execution

  private async run(a: Assignment): Promise<void> {
    const k = key(a.jobId, a.attempt);
    if (this.running.has(k)) return;
    const deadline = a.timeoutMs > 0 ? performance.now() + a.timeoutMs : Infinity;
    const attempt: RunningAttempt = { jobId: a.jobId, attempt: a.attempt, controller: null, rejectRace: null, progress: 0, message: '', abortReason: null, deadline };
    this.running.set(k, attempt);
    const startedAt = Date.now();
    if (deadline < this.deadlineAt) this.armDeadline(deadline);
    let outcome: ResultOutcome = 'completed';
    let value: unknown = null;
    let error = '';
    try {
      const handler = this.options.handlers[a.type];
      if (!handler) throw new NonRetryableError(`unknown job type "${a.type}" (this worker runs: ${Object.keys(this.options.handlers).join(', ')})`);
      const payload = decodePayload(a.payload, a.contentType);
      const returned = handler(payload, new AttemptContext(a, attempt, this.options.logger));
      if (isThenable(returned)) {
        // A handler that ignores its signal still gives its slot back when aborted.
        const aborted = new Promise<never>((_, reject) => {
          attempt.rejectRace = reject;
        });
        aborted.catch(() => undefined);
        value = await Promise.race([returned, aborted]);
      } else {
        value = returned;
      }
    } catch (caught) {
      if (attempt.abortReason) {
        outcome = attempt.abortReason === 'shutdown' ? 'cancelled' : attempt.abortReason;
        error = attempt.abortReason === 'timeout' ? `timed out after ${a.timeoutMs} ms` : String(attempt.abortReason);
      } else {
        outcome = isNonRetryable(caught) ? 'fatal' : 'error';
        error = caught instanceof Error ? `${caught.name === 'Error' ? '' : `${caught.name}: `}${caught.message}` : String(caught);
      }
    } finally {
      this.running.delete(k);
    }
    if (attempt.abortReason === 'shutdown') {
      this.notifyIdle();
      return; // given back with Goodbye, not reported
    }
    let encoded = NO_RESULT;
    if (outcome === 'completed') {
      try {
        encoded = encodeResult(value);
      } catch (caught) {
        // A cyclic object, say: the same handler would return it again, so no retry.
        outcome = 'fatal';
        error = `the handler's result cannot be encoded as JSON (${(caught as Error).message})`;
      }
    }
    if (encoded.bytes.length > this.maxResultBytes) {
      // The master would refuse the message; the same handler would produce it again, so no retry.
      outcome = 'fatal';
      error = `result of ${encoded.bytes.length} bytes is over the master's limit of ${this.maxResultBytes} bytes (--max-payload)`;
      encoded = NO_RESULT;
    }
    this.onAttemptEnd?.({ jobId: a.jobId, attempt: a.attempt, error, type: a.type, queue: a.queue, outcome, durationMs: Date.now() - startedAt });
    this.report({
      jobId: a.jobId,
      attempt: a.attempt,
      outcome: outcomeToProto(outcome),
      result: encoded.bytes,
      contentType: encoded.contentType,
      error: error.slice(0, 16 * 1024),
      startedAtMs: startedAt,
      finishedAtMs: Date.now(),
    });
    if (outcome === 'completed') this.jobsDone++;
  }

  private armDeadline(at: number): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineAt = at;
    this.deadlineTimer = setTimeout(() => this.expire(), Math.max(0, Math.ceil(at - performance.now())));
  }

  /** Aborts the attempts past their deadline and arms the timer for the next one. */
  private expire(): void {
    this.deadlineTimer = null;
    this.deadlineAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const [k, attempt] of this.running) {
      if (attempt.deadline <= now) this.abort(k, 'timeout');
      else if (attempt.deadline < next) next = attempt.deadline;
    }
    if (next < Infinity) this.armDeadline(next);
  }

  private abort(k: string, reason: RunningAttempt['abortReason']): void {
    const attempt = this.running.get(k);
    if (!attempt || attempt.abortReason) return;
    attempt.abortReason = reason;
    const error = new Error(String(reason));
    attempt.controller?.abort(error);
    attempt.rejectRace?.(error);
  }

  private report(result: Result): void {
    this.unacked.set(key(result.jobId, result.attempt), { result, sentAt: Date.now() });
    this.outbox.push(result);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const results = this.outbox;
      this.outbox = [];
      if (this.connected && this.stream) this.sendResults(results);
      this.notifyIdle();
    });
  }

  // ---------------------------------------------------------------- shutdown

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async until(condition: () => boolean, deadline: number): Promise<boolean> {
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await Promise.race([new Promise<void>((r) => this.idleWaiters.push(r)), sleep(Math.min(left, 100))]);
    }
    return true;
  }

  /** Drains and stops. Resolves when the stream is closed. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.stateValue === 'stopped' || this.stateValue === 'draining') return;
    this.stateValue = 'draining';
    this.stream?.write({ msg: { $case: 'drain', value: { reason: 'worker stopping' } } });
    this.options.logger.info({ running: this.running.size, graceMs }, 'draining');
    await this.until(() => this.running.size === 0, Date.now() + graceMs);
    const givenBack = [...this.running.values()].map((r) => ({ jobId: r.jobId, attempt: r.attempt }));
    for (const k of [...this.running.keys()]) this.abort(k, 'shutdown');
    if (givenBack.length > 0) {
      this.options.logger.warn({ jobs: givenBack.length }, 'grace period over: giving back unfinished jobs');
      this.stream?.write({ msg: { $case: 'goodbye', value: { returned: givenBack } } });
    }
    await this.until(() => this.running.size === 0 && this.unacked.size === 0, Date.now() + (this.connected ? 3000 : 0));
    if (this.unacked.size > 0) this.options.logger.warn({ results: this.unacked.size }, 'stopping with unacknowledged results');
    this.stateValue = 'stopped';
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    const stream = this.stream;
    this.stream = null;
    this.connected = false;
    if (stream) await endStream(stream, 2000);
    this.client?.close();
    await this.onStopped?.();
  }
}

/**
 * Half-closes the stream and waits for the master to close its side; past `waitMs` (a master
 * that cannot be reached, e.g. behind a partition) the call is cancelled, since an open call
 * keeps its HTTP/2 session, and with it the process, alive until TCP gives up.
 */
async function endStream(stream: ClientDuplexStream<WorkerMessage, MasterMessage>, waitMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    stream.once('status', () => resolve());
    stream.once('close', () => resolve());
  });
  stream.end();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), waitMs)));
  const timedOut = await Promise.race([closed.then(() => false), late]);
  clearTimeout(timer);
  if (timedOut) stream.cancel();
}

/**
 * A handler error that must not be retried: our NonRetryableError, or any error that says so by
 * name or by `retryable: false` (so that a handler module need not import this package).
 */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function isNonRetryable(error: unknown): boolean {
  if (error instanceof NonRetryableError) return true;
  const e = error as { name?: unknown; retryable?: unknown } | null;
  return typeof e === 'object' && e !== null && (e.name === 'NonRetryableError' || e.name === 'PayloadError' || e.retryable === false);
}

function decodePayload(bytes: Buffer, contentType: string): unknown {
  if (contentType && !contentType.startsWith(JSON_TYPE)) return bytes;
  if (bytes.length === 0) return null;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new NonRetryableError(`payload is not valid JSON (${(error as Error).message})`);
  }
}

/** The results most handlers return, encoded once (the bytes are only ever read). */
const EMPTY_RESULT = { bytes: Buffer.alloc(0), contentType: JSON_TYPE };
const NULL_RESULT = { bytes: Buffer.from('null'), contentType: JSON_TYPE };
const bigintAsString = (_: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

function encodeResult(value: unknown): { bytes: Buffer<ArrayBufferLike>; contentType: string } {
  if (value === undefined) return EMPTY_RESULT;
  if (value === null) return NULL_RESULT;
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value), contentType: 'application/octet-stream' };
  let text: string | undefined;
  try {
    // Without a replacer first: V8's fast path; a BigInt anywhere makes it throw.
    text = JSON.stringify(value);
  } catch {
    text = JSON.stringify(value, bigintAsString);
  }
  // A function or a symbol has no JSON form at all (inside an object, JSON leaves it out).
  if (text === undefined) throw new TypeError(`a ${typeof value} has no JSON form`);
  return { bytes: Buffer.from(text), contentType: JSON_TYPE };
}
