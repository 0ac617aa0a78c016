/**
 * Warm-up: at start, before a master reports that it is listening, no-op jobs go the whole way
 * through a throw-away master of their own: submitted over loopback gRPC (half one job per
 * submit() from 64 callers, half with submitMany()), queued while the queue is paused, then
 * drained by an in-process worker. The jobs live in an in-memory store that is closed
 * afterwards; the real store, ports and metrics never see them. What stays is V8's compiled code
 * for the submit, dispatch and result paths, so the first seconds of real work run as fast as
 * later ones.
 *
 * It runs after the real master has taken its ports (a client that connects meanwhile is served,
 * more slowly). The throw-away master listens on 127.0.0.1 only and asks for a random token. A
 * warm-up that fails or overruns is abandoned with a warning: it can slow a start, never stop one.
 */
import { randomBytes } from 'node:crypto';
import { resolveMasterConfig } from '../config.js';
import { startMaster, type RunningMaster } from './master.js';
import { MasterClient } from '../rpc/client.js';
import { Worker } from '../worker/worker.js';
import { builtinHandlers } from '../handlers/builtin.js';
import { VERSION } from '../version.js';
import { silentLogger, type Logger } from '../log.js';

const CALLERS = 64;
const CHUNK = 1000;
const QUEUE = 'warm-up';

/** Resolves when the jobs are done, the time is up, or `signal` aborts (a shutdown during the warm-up). */
export async function warmUp(jobs: number, logger: Logger, timeoutMs = 15_000, signal?: AbortSignal): Promise<void> {
  if (jobs <= 0 || signal?.aborted) return;
  const started = performance.now();
  const token = randomBytes(24).toString('base64url');
  let running: RunningMaster | null = null;
  let worker: Worker | null = null;
  let client: MasterClient | null = null;
  try {
    const config = resolveMasterConfig({ host: '127.0.0.1', port: 0, 'http-port': 0, db: ':memory:', retention: '0', token, 'warm-up': 0 }, {});
    running = await startMaster(config, silentLogger);
    const master = running.master;
    const address = `127.0.0.1:${running.grpcPort}`;
    master.pause(QUEUE, true);
    client = new MasterClient({ address, token });
    await client.waitForReady(timeoutMs);
    const deadline = Date.now() + timeoutMs;
    const going = () => Date.now() < deadline && !signal?.aborted;
    const job = (i: number) => ({ queue: QUEUE, type: 'noop', payload: Buffer.from(`{"i":${i}}`), contentType: 'application/json' });
    const half = Math.floor(jobs / 2);
    let next = 0;
    const caller = async () => {
      while (next < half && going()) await client!.submit(job(next++));
    };
    await Promise.all(Array.from({ length: CALLERS }, caller));
    for (let i = half; i < jobs && going(); i += CHUNK) {
      await client.submitMany(Array.from({ length: Math.min(CHUNK, jobs - i) }, (_, k) => job(i + k)));
    }
    const submitted = master.scheduler.submittedTotal;
    worker = new Worker({ id: 'warm-up', master: address, concurrency: CALLERS, queues: [QUEUE], handlers: { noop: builtinHandlers.noop }, logger: silentLogger, version: VERSION, token });
    worker.start();
    master.pause(QUEUE, false);
    while (master.scheduler.finishedTotal < submitted && going()) await new Promise((resolve) => setTimeout(resolve, 5));
    if (signal?.aborted) return;
    if (master.scheduler.finishedTotal < jobs) throw new Error(`${master.scheduler.finishedTotal} of ${jobs} jobs done in ${timeoutMs} ms`);
    logger.info({ jobs, ms: Math.round(performance.now() - started) }, 'warmed up');
  } catch (error) {
    logger.warn({ err: error, ms: Math.round(performance.now() - started) }, 'warm-up abandoned; starting anyway');
  } finally {
    client?.close();
    await worker?.stop(1_000).catch(() => {});
    await running?.stop().catch(() => {});
  }
}
