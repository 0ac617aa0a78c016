/**
 * Isolated handlers: each attempt of a user handler runs in a worker thread (`thread`) or a child
 * Node process (`process`) of a pool, one attempt per runner at a time, while the worker's own
 * thread keeps the stream, heartbeats and timers. So a CPU-bound handler cannot stop heartbeats,
 * and a handler that ignores its abort signal (timeout, cancel, shutdown) for longer than
 * `abortGraceMs` has its runner terminated; the slot was given back at the abort already, and a
 * fresh runner serves the next job.
 *
 * The runtime (worker.ts) sees ordinary handler functions that forward to the pool; payloads and
 * results cross by structured clone (bytes stay bytes). A handler's error comes back with its
 * name, message and stack (the stack is appended to the message, since it is not otherwise seen).
 */
import { Worker as ThreadWorker } from 'node:worker_threads';
import { spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { isSea } from 'node:sea';
import { invalidArgument } from '../errors.js';
import { nameSchema } from '../core/validation.js';
import type { HandlerContext, HandlerMap } from '../handlers/handler.js';
import type { Logger } from '../log.js';
import { HANDLER_API_SOURCE, RUNNER_SOURCE } from './isolation-runner.js';
import { DEFAULT_ABORT_GRACE_MS } from './isolation-mode.js';


type FromRunner =
  | { kind: 'ready'; types: string[] }
  | { kind: 'load-error'; message: string }
  | { kind: 'done'; id: number; value: unknown }
  | { kind: 'failed'; id: number; error: { name: string; message: string; stack: string; retryable?: boolean } }
  | { kind: 'progress'; id: number; percent: number; message?: string }
  | { kind: 'log'; id: number; level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'; bindings: object; args: unknown[] };

interface Job {
  id: number;
  ctx: HandlerContext;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  killTimer: NodeJS.Timeout | null;
}

/** One thread or child process running one attempt at a time. */
class Runner {
  job: Job | null = null;
  dead = false;
  private readonly thread: ThreadWorker | null = null;
  private readonly child: ChildProcess | null = null;

  constructor(mode: 'thread' | 'process', moduleUrl: string, private readonly onMessage: (r: Runner, m: FromRunner) => void, private readonly onExit: (r: Runner, why: string) => void) {
    if (mode === 'thread') {
      this.thread = new ThreadWorker(RUNNER_SOURCE, { eval: true, workerData: { moduleUrl, nucleusShim: isSea() ? HANDLER_API_SOURCE : null } });
      this.thread.on('message', (m: FromRunner) => this.onMessage(this, m));
      this.thread.on('error', (e) => this.exited(`its thread failed: ${e.message}`));
      this.thread.on('exit', (code) => this.exited(`its thread exited with code ${code}`));
    } else {
      this.child = spawn(process.execPath, ['-e', RUNNER_SOURCE, moduleUrl], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
      this.child.on('message', (m: FromRunner) => this.onMessage(this, m));
      this.child.on('error', (e) => this.exited(`its process failed: ${e.message}`));
      this.child.on('exit', (code, signal) => this.exited(`its process exited with ${signal ?? `code ${code}`}`));
    }
  }

  send(message: object): void {
    if (this.dead) return;
    if (this.thread) this.thread.postMessage(message);
    else this.child?.send(message);
  }

  terminate(): void {
    if (this.thread) void this.thread.terminate();
    else this.child?.kill('SIGKILL');
  }

  private exited(why: string): void {
    if (this.dead) return;
    this.dead = true;
    this.onExit(this, why);
  }
}

export interface IsolatedPoolOptions {
  mode: 'thread' | 'process';
  /** Path or file URL of the handler module. */
  module: string | URL;
  /** Runners kept idle at most (the worker's concurrency). */
  size: number;
  abortGraceMs?: number;
  logger: Logger;
}

export class IsolatedPool {
  private readonly idle: Runner[] = [];
  private readonly all = new Set<Runner>();
  private nextId = 1;
  private closed = false;
  private readonly moduleUrl: string;
  private readonly graceMs: number;
  /** Runners terminated because their handler ignored an abort (for tests and logs). */
  terminated = 0;

  private constructor(private readonly options: IsolatedPoolOptions) {
    this.moduleUrl = moduleUrlOf(options.module);
    this.graceMs = options.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS;
  }

  /** Starts one runner, which loads the module and tells the job types it serves. */
  static async start(options: IsolatedPoolOptions): Promise<{ pool: IsolatedPool; handlers: HandlerMap }> {
    if (options.mode === 'process' && isSea()) {
      // The child would be this executable, which runs oclif, not Node's `-e`.
      throw invalidArgument('--isolation', 'process is not available in the single executable; use thread (the same guarantees) or run the npm package');
    }
    const pool = new IsolatedPool(options);
    const types = await new Promise<string[]>((resolve, reject) => {
      const runner = pool.spawn((r, m) => {
        if (m.kind === 'ready') {
          pool.idle.push(r);
          resolve(m.types);
        } else if (m.kind === 'load-error') {
          r.terminate();
          reject(invalidArgument('--handlers', `cannot load ${String(options.module)}: ${m.message}`));
        }
      });
      pool.startFailed = (why) => reject(invalidArgument('--handlers', `cannot load ${String(options.module)}: ${why}`));
    });
    pool.startFailed = null;
    if (types.length === 0) throw invalidArgument('--handlers', `${String(options.module)} exports no handler functions (export { myType: async (payload, ctx) => result })`);
    const handlers: HandlerMap = {};
    for (const type of types) {
      if (!nameSchema.safeParse(type).success) throw invalidArgument('--handlers', `${String(options.module)} exports "${type}", which is not a valid job type name`);
      handlers[type] = (payload, ctx) => pool.run(type, payload, ctx);
    }
    return { pool, handlers };
  }

  get runners(): number {
    return this.all.size;
  }

  private spawn(onFirst?: (r: Runner, m: FromRunner) => void): Runner {
    let first = onFirst;
    const runner = new Runner(
      this.options.mode,
      this.moduleUrl,
      (r, m) => {
        if (first && (m.kind === 'ready' || m.kind === 'load-error')) {
          const f = first;
          first = undefined;
          f(r, m);
          return;
        }
        this.onMessage(r, m);
      },
      (r, why) => this.onExit(r, why),
    );
    this.all.add(runner);
    return runner;
  }

  run(type: string, payload: unknown, ctx: HandlerContext): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the worker is stopping'));
    const runner = this.idle.pop() ?? this.spawn();
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, ctx, resolve, reject, killTimer: null };
      runner.job = job;
      const { signal } = ctx;
      const onAbort = () => {
        runner.send({ kind: 'abort', id: job.id, reason: String((signal.reason as Error)?.message ?? 'aborted') });
        job.killTimer = setTimeout(() => {
          if (runner.job !== job) return;
          this.terminated++;
          this.options.logger.warn({ job: ctx.jobId, attempt: ctx.attempt, graceMs: this.graceMs }, `handler ignored its abort signal; terminating its ${this.options.mode}`);
          runner.terminate();
        }, this.graceMs);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      const settle = job.resolve;
      const fail = job.reject;
      const cleanup = () => {
        signal.removeEventListener('abort', onAbort);
        if (job.killTimer) clearTimeout(job.killTimer);
      };
      job.resolve = (v) => (cleanup(), settle(v));
      job.reject = (e) => (cleanup(), fail(e));
      // Not a payload the worker decoded: a runner that has not said `ready` yet queues it.
      runner.send({ kind: 'run', id: job.id, type, payload, ctx: { jobId: ctx.jobId, attempt: ctx.attempt, queue: ctx.queue, type: ctx.type } });
    });
  }

  private onMessage(runner: Runner, m: FromRunner): void {
    const job = runner.job;
    if (m.kind === 'ready' || m.kind === 'load-error' || !job || m.id !== job.id) {
      if (m.kind === 'load-error') this.options.logger.error({ module: String(this.options.module), reason: m.message }, 'an isolated runner could not load the handler module');
      return;
    }
    switch (m.kind) {
      case 'done':
        this.release(runner);
        job.resolve(m.value);
        break;
      case 'failed':
        this.release(runner);
        job.reject(rebuildError(m.error));
        break;
      case 'progress':
        job.ctx.progress(m.percent, m.message);
        break;
      case 'log': {
        const log = job.ctx.logger as unknown as Record<string, (...args: unknown[]) => void>;
        log[m.level]?.(...m.args);
        break;
      }
    }
  }

  private release(runner: Runner): void {
    runner.job = null;
    if (this.closed || runner.dead || this.idle.length >= this.options.size) {
      this.all.delete(runner);
      runner.terminate();
    } else {
      this.idle.push(runner);
    }
  }

  private startFailed: ((why: string) => void) | null = null;

  private onExit(runner: Runner, why: string): void {
    this.startFailed?.(why);
    this.all.delete(runner);
    const i = this.idle.indexOf(runner);
    if (i >= 0) this.idle.splice(i, 1);
    const job = runner.job;
    runner.job = null;
    if (job) job.reject(new Error(`the handler's ${this.options.mode} ended before the handler did: ${why}`));
  }

  /** Terminates every runner (what still runs was given back or reported by the worker). */
  async close(): Promise<void> {
    this.closed = true;
    for (const r of [...this.all]) r.terminate();
    this.idle.length = 0;
  }
}

function moduleUrlOf(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^file:/.test(module)) return module;
  const absolute = resolve(module);
  if (!existsSync(absolute)) throw invalidArgument('--handlers', `${module} does not exist`);
  return pathToFileURL(absolute).href;
}

/** The runner's error as an Error here: same name (NonRetryableError stays non-retryable), with the stack. */
function rebuildError(e: { name: string; message: string; stack: string; retryable?: boolean }): Error {
  const lines = e.stack.split('\n').filter((line) => /^\s+at /.test(line));
  // The frames below the handler are the runner's own ([worker eval] or [eval]) and Node's.
  const own = lines.findIndex((line) => /\[(worker )?eval\]/.test(line));
  const frames = (own >= 0 ? lines.slice(0, own) : lines).join('\n');
  const error = new Error(frames ? `${e.message}\n${frames}` : e.message) as Error & { retryable?: boolean };
  error.name = e.name;
  if (e.retryable === false) error.retryable = false;
  return error;
}
