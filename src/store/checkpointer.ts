/**
 * WAL checkpoints on a thread of their own. Left to SQLite, a checkpoint runs inside whichever
 * commit crosses the threshold and holds the master's only thread while it copies pages and syncs
 * the database file (about 6 ms, several times a second under load). Here a second connection on
 * a worker thread runs PASSIVE checkpoints, which never block the writer, so the sync happens off
 * the hot path. Where a thread cannot load SQLite (the single-file build bundles it), there is no
 * checkpointer and SQLite's own checkpoints carry on.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';

const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 100');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* the next one tries again */ }
}, workerData.everyMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
`;

const STOP_TIMEOUT_MS = 10_000;

export interface Checkpointer {
  /** Stops the thread after its current checkpoint; resolves when it is gone. */
  stop(): Promise<void>;
}

/** Starts checkpointing `path` every `everyMs`, or returns null where SQLite cannot be loaded in a thread. */
export function startCheckpointer(path: string, everyMs: number): Checkpointer | null {
  let module: string;
  try {
    module = createRequire(import.meta.url).resolve('better-sqlite3');
  } catch {
    return null;
  }
  const worker = new Worker(SOURCE, { eval: true, workerData: { module, path, everyMs } });
  worker.unref();
  worker.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    stop: async () => {
      // Held while stopping: an unreferenced thread would let the process end mid-await.
      worker.ref();
      worker.postMessage('stop');
      // Its connection must be closed before the master's own, so that the master's close is the
      // last one and SQLite removes the -wal and -shm files (a store left clean). Terminating is
      // the last resort for a thread that does not answer.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, STOP_TIMEOUT_MS)))]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
