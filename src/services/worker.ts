/**
 * `nucleus worker`: the built-in handlers plus the user's module, connected to a master.
 */
import { Worker } from '../worker/worker.js';
import { builtinHandlers } from '../handlers/builtin.js';
import { loadHandlerModule } from '../handlers/loader.js';
import { IsolatedPool } from '../worker/isolation.js';
import { execHandler } from '../handlers/exec.js';
import { httpRequestHandler } from '../handlers/http-request.js';
import { networkPolicy } from '../handlers/network-guard.js';
import { VERSION } from '../version.js';
import type { HandlerMap } from '../handlers/handler.js';
import type { WorkerConfig } from '../config.js';
import { silentLogger, type Logger } from '../log.js';

/**
 * The built-in handlers and the user's module. With isolation, the module is loaded (and its
 * handlers run) only in the pool's threads or processes; the built-ins always run here.
 */
export async function workerHandlers(
  config: Pick<WorkerConfig, 'handlersPath' | 'allowExec' | 'allowHttpHosts' | 'isolation' | 'concurrency'>,
  extra: HandlerMap = {},
  logger: Logger = silentLogger,
): Promise<{ handlers: HandlerMap; pool: IsolatedPool | null }> {
  let user: HandlerMap = {};
  let pool: IsolatedPool | null = null;
  if (config.handlersPath && config.isolation !== 'none') {
    ({ pool, handlers: user } = await IsolatedPool.start({ mode: config.isolation, module: config.handlersPath, size: config.concurrency, logger }));
  } else if (config.handlersPath) {
    user = await loadHandlerModule(config.handlersPath);
  }
  const exec: HandlerMap = config.allowExec.length > 0 ? { exec: execHandler(config.allowExec) } : {};
  return { handlers: { ...builtinHandlers, http_request: httpRequestHandler(networkPolicy(config.allowHttpHosts)), ...exec, ...extra, ...user }, pool };
}

export async function startWorker(config: WorkerConfig, logger: Logger, extra: HandlerMap = {}): Promise<Worker> {
  const worker = await createWorker(config, logger, extra);
  worker.start();
  return worker;
}

/** A worker with its handlers loaded, not yet connected: `start()` connects it. */
export async function createWorker(config: WorkerConfig, logger: Logger, extra: HandlerMap = {}): Promise<Worker> {
  const { handlers, pool } = await workerHandlers(config, extra, logger);
  logger.info({ id: config.id, master: config.master, concurrency: config.concurrency, queues: config.queues, types: Object.keys(handlers), isolation: config.handlersPath ? config.isolation : undefined }, 'worker started');
  const worker = new Worker({
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
  if (pool) worker.onStopped = () => pool.close();
  return worker;
}
