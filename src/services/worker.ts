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
import type { Logger } from '../log.js';

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
