/**
 * The library's Worker: the runtime `nucleus worker` runs (worker/worker.ts), embedded, with typed
 * events. Handlers are functions (run in this thread), handlers made by defineHandler, or the path
 * (or file URL) of a handler module, whose handlers run isolated in worker threads (the default)
 * or child processes, so that a CPU-bound or stuck handler cannot stall this process's worker.
 */
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker as Runtime, type RuntimeEvent } from '../worker/worker.js';
import { IsolatedPool } from '../worker/isolation.js';
import { DEFAULT_ISOLATION, ISOLATIONS, type Isolation } from '../worker/isolation-mode.js';
import { loadHandlerModule } from '../handlers/loader.js';
import { DEFAULT_MASTER } from '../rpc/client.js';
import { invalidArgument, type NucleusError } from '../errors.js';
import { parseName } from '../core/validation.js';
import { createLogger, type Logger } from '../log.js';
import { VERSION } from '../version.js';
import type { ClientTlsFiles } from '../rpc/tls.js';
import type { HandlerMap } from '../handlers/handler.js';
import type { ResultOutcome } from '../master/protocol.js';
import { toHandlerMap, type DefinedHandler } from './define-handler.js';
import { TypedEvents } from './events.js';

export interface WorkerOptions {
  /** host:port of the master (a worker holds its leases on one master). Default 127.0.0.1:50051. */
  masters?: string | readonly [string];
  /** Unique per worker. Default <hostname>-<pid>. */
  id?: string;
  /** Jobs run at once. Default 4. */
  concurrency?: number;
  /** Default ['default']. */
  queues?: readonly string[];
  /**
   * A map { type: (payload, ctx) => result }, a list of handlers made by defineHandler, or the
   * path or file URL of a module exporting either (the same module `nucleus worker --handlers` takes).
   */
  handlers: HandlerMap | readonly DefinedHandler[] | string | URL;
  /**
   * Where a module's handlers run: 'thread' (default), 'process' or 'none'. Handlers given as
   * functions can only run in this thread: pass `isolation: 'none'` with them, knowing that a
   * handler that blocks the event loop for longer than the master's heartbeat timeout (10 s by
   * default) gets this worker declared dead.
   */
  isolation?: Isolation;
  /** How long an aborted isolated handler may take to stop before it is terminated, in ms. Default 5000. */
  abortGraceMs?: number;
  token?: string | null;
  tls?: ClientTlsFiles | null;
  /** A pino logger; default: warnings and errors to stderr. */
  logger?: Logger;
}

interface AttemptEvent {
  jobId: string;
  attempt: number;
  type: string;
  queue: string;
  durationMs: number;
}

export interface WorkerEvents {
  connected: { master: string };
  disconnected: { master: string; reason: string };
  completed: AttemptEvent;
  /** outcome: error (will be retried if it has retries left), fatal, timeout or cancelled. */
  failed: AttemptEvent & { outcome: Exclude<ResultOutcome, 'completed'>; error: string };
  /** The master took a lease back from this worker (its result, if any, was not taken). */
  lost: { jobId: string; attempt: number; reason: string };
  /** The master refused this worker for good (a bad token, an id in use): it stops. */
  error: NucleusError;
}

export class Worker extends TypedEvents<WorkerEvents> {
  readonly id: string;
  readonly master: string;
  private runtime: Runtime | null = null;
  private pool: IsolatedPool | null = null;
  private readonly logger: Logger;
  private running: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private stopped!: () => void;

  constructor(private readonly options: WorkerOptions) {
    super(() => this.logger);
    const masters = options.masters === undefined ? [DEFAULT_MASTER] : typeof options.masters === 'string' ? [options.masters] : [...options.masters];
    if (masters.length !== 1) throw invalidArgument('masters', `a worker holds its leases on one master: give one host:port (got ${masters.length})`);
    this.master = masters[0];
    this.id = parseName(options.id ?? `${hostname()}-${process.pid}`, 'id');
    const isolation = options.isolation ?? DEFAULT_ISOLATION;
    if (!ISOLATIONS.includes(isolation)) throw invalidArgument('isolation', `must be one of ${ISOLATIONS.join(', ')} (got "${String(isolation)}")`);
    const c = options.concurrency ?? 4;
    if (!Number.isInteger(c) || c < 1 || c > 1024) throw invalidArgument('concurrency', `must be an integer from 1 to 1024 (got ${c})`);
    if (!isModule(options.handlers) && isolation !== 'none') {
      throw invalidArgument('isolation', `handlers given as functions run in this thread: pass isolation: 'none', or give the path of a handler module to run them in a ${isolation}`);
    }
    this.logger = options.logger ?? createLogger({ level: 'warn', name: 'nucleus-worker' });
  }

  /** Jobs running now. */
  get busy(): number {
    return this.runtime?.busy ?? 0;
  }

  get connected(): boolean {
    return this.runtime?.isConnected ?? false;
  }

  /**
   * Loads the handlers, connects, and resolves when the worker has stopped (after close(), or
   * when the master refuses it for good, which is also an `error` event). Rejects when the
   * handlers cannot be loaded.
   */
  run(): Promise<void> {
    this.running ??= this.start();
    return this.running;
  }

  private async start(): Promise<void> {
    const o = this.options;
    const isolation = o.isolation ?? DEFAULT_ISOLATION;
    let handlers: HandlerMap;
    if (isModule(o.handlers) && isolation !== 'none') {
      ({ pool: this.pool, handlers } = await IsolatedPool.start({ mode: isolation, module: o.handlers, size: o.concurrency ?? 4, abortGraceMs: o.abortGraceMs, logger: this.logger }));
    } else if (isModule(o.handlers)) {
      handlers = await loadHandlerModule(o.handlers instanceof URL ? fileURLToPath(o.handlers) : o.handlers);
    } else {
      handlers = toHandlerMap(o.handlers);
    }
    if (this.closing) return; // closed while loading
    const runtime = new Runtime({ id: this.id, master: this.master, concurrency: o.concurrency ?? 4, queues: [...(o.queues ?? ['default'])], handlers, logger: this.logger, version: VERSION, token: o.token, tls: o.tls });
    this.runtime = runtime;
    runtime.onEvent = (e) => this.onRuntimeEvent(e);
    runtime.onAttemptEnd = (end) => {
      const base = { jobId: end.jobId, attempt: end.attempt, type: end.type, queue: end.queue, durationMs: end.durationMs };
      if (end.outcome === 'completed') this.emit('completed', base);
      else this.emit('failed', { ...base, outcome: end.outcome, error: end.error });
    };
    const stopped = new Promise<void>((resolve) => (this.stopped = resolve));
    void runtime.refused.then((error) => {
      this.emit('error', error);
      void this.close({ grace: 0 });
    });
    runtime.start();
    await stopped;
  }

  private onRuntimeEvent(e: RuntimeEvent): void {
    if (e.kind === 'connected') this.emit('connected', { master: e.master });
    else if (e.kind === 'disconnected') this.emit('disconnected', { master: e.master, reason: e.reason });
    else this.emit('lost', { jobId: e.jobId, attempt: e.attempt, reason: e.reason });
  }

  /**
   * Stops taking jobs, lets running ones finish within `grace` ms (default 30000), gives back to
   * the master what is left (it runs again elsewhere: nothing is lost), and disconnects.
   */
  close(options: { grace?: number } = {}): Promise<void> {
    this.closing ??= (async () => {
      await this.runtime?.stop(options.grace ?? 30_000);
      await this.pool?.close();
      this.stopped?.();
    })();
    return this.closing;
  }
}

function isModule(handlers: WorkerOptions['handlers']): handlers is string | URL {
  return typeof handlers === 'string' || handlers instanceof URL;
}
