/**
 * `nucleus worker`: the built-in handlers plus the user's module, connected to a master.
 */
import { Worker } from '../worker/worker.js';
import { builtinHandlers } from '../handlers/builtin.js';
import { loadHandlerModule } from '../handlers/loader.js';
import { execHandler } from '../handlers/exec.js';
import { httpRequestHandler } from '../handlers/http-request.js';
import { networkPolicy } from '../handlers/network-guard.js';
import { VERSION } from '../version.js';
import type { HandlerMap } from '../handlers/handler.js';
import type { WorkerConfig } from '../config.js';
import { startWarmUpMaster, type WarmUpMaster } from '../rpc/warm-up-master.js';
import { silentLogger, type Logger } from '../log.js';

export async function workerHandlers(config: Pick<WorkerConfig, 'handlersPath' | 'allowExec' | 'allowHttpHosts'>, extra: HandlerMap = {}): Promise<HandlerMap> {
  const user = config.handlersPath ? await loadHandlerModule(config.handlersPath) : {};
  const exec: HandlerMap = config.allowExec.length > 0 ? { exec: execHandler(config.allowExec) } : {};
  return { ...builtinHandlers, http_request: httpRequestHandler(networkPolicy(config.allowHttpHosts)), ...exec, ...extra, ...user };
}

export async function startWorker(config: WorkerConfig, logger: Logger, extra: HandlerMap = {}): Promise<Worker> {
  const worker = await createWorker(config, logger, extra);
  worker.start();
  return worker;
}

/** A worker with its handlers loaded, not yet connected: `start()` connects it. */
export async function createWorker(config: WorkerConfig, logger: Logger, extra: HandlerMap = {}): Promise<Worker> {
  const handlers = await workerHandlers(config, extra);
  logger.info({ id: config.id, master: config.master, concurrency: config.concurrency, queues: config.queues, types: Object.keys(handlers) }, 'worker started');
  return new Worker({
    id: config.id,
    master: config.master,
    concurrency: config.concurrency,
    queues: config.queues,
    handlers,
    logger,
    version: VERSION,
    token: config.token,
    tls: config.tls,
  });
}

/**
 * Warm-up: before a worker connects to its master, `jobs` no-op jobs run through this worker's
 * code against a stand-in master on 127.0.0.1 (rpc/warm-up-master.ts), with a throw-away Worker
 * of the same concurrency, so that the first real jobs meet compiled code. The stand-in stores
 * nothing and the real master never sees these jobs. A warm-up that fails or overruns is
 * abandoned with a warning: it can slow a start, never stop one.
 */
export async function warmUpWorker(jobs: number, concurrency: number, logger: Logger, timeoutMs = 10_000): Promise<void> {
  if (jobs <= 0) return;
  const started = performance.now();
  let standIn: WarmUpMaster | null = null;
  let worker: Worker | null = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    standIn = await startWarmUpMaster(jobs);
    worker = new Worker({ id: 'warm-up', master: standIn.address, concurrency, queues: ['default'], handlers: { noop: builtinHandlers.noop }, logger: silentLogger, version: VERSION });
    worker.start();
    const overrun = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not done in ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([standIn.done, overrun]);
    logger.info({ jobs, ms: Math.round(performance.now() - started) }, 'warmed up');
  } catch (error) {
    logger.warn({ err: error, ms: Math.round(performance.now() - started) }, 'warm-up abandoned; starting anyway');
  } finally {
    clearTimeout(timer);
    await worker?.stop(1_000).catch(() => {});
    standIn?.close();
  }
}
