/**
 * `nucleus master`: opens the store, starts the scheduler and the gRPC server (and, when
 * enabled, the HTTP server), and stops them in order: stop accepting, tell the workers, flush,
 * close the store last.
 */
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { SqliteJobStore, refuseIfInUse } from '../store/sqlite-store.js';
import { ErrorCode, NucleusError } from '../errors.js';
import { startCheckpointer } from '../store/checkpointer.js';
import { Master } from '../master/master.js';
import { startGrpcServer, type RunningGrpcServer } from '../rpc/server.js';
import { logJobChanges } from '../master/job-log.js';
import { systemClock, type Clock } from '../core/clock.js';
import { VERSION } from '../version.js';
import type { MasterConfig } from '../config.js';
import type { Logger } from '../log.js';

export interface RunningMaster {
  master: Master;
  grpcPort: number;
  /** 0 when HTTP is disabled. */
  httpPort: number;
  /** Orderly shutdown; safe to call more than once. */
  stop(): Promise<void>;
}

/** Optional extras that other modules plug into the master (HTTP gateway, metrics). */
export interface MasterPlugin {
  start(master: Master, config: MasterConfig, logger: Logger): Promise<{ port: number; stop(): Promise<void> }>;
}

const CHECKPOINT_EVERY_MS = 200;
/** With the checkpointer running, SQLite checkpoints by itself only past this many WAL pages (40 MiB). */
const SAFETY_NET_PAGES = 10_000;

export async function startMaster(
  config: MasterConfig,
  logger: Logger,
  extras: { clock?: Clock; http?: MasterPlugin; nativeBinding?: string | object } = {},
): Promise<RunningMaster> {
  // A store in use first, then the ports (often taken by that same other master), then the store:
  // a master that cannot listen must not have created a store file on its way out.
  refuseIfInUse(config.dbPath, extras.nativeBinding);
  await portIsFree(config.host, config.port, 'gRPC', '--port');
  if (extras.http && config.httpPort) await portIsFree(config.host, config.httpPort, 'HTTP', '--http-port');
  const created = config.dbPath !== ':memory:' && !existsSync(config.dbPath);
  const store = new SqliteJobStore({ path: config.dbPath, sync: config.sync, nativeBinding: extras.nativeBinding });
  const master = new Master({ store, clock: extras.clock ?? systemClock, logger, settings: config.settings, version: VERSION });
  let grpc: RunningGrpcServer | null = null;
  let http: { port: number; stop(): Promise<void> } | null = null;
  try {
    master.start();
    logJobChanges(master, logger);
    grpc = await startGrpcServer(master, logger, {
      host: config.host,
      port: config.port,
      maxMessageBytes: config.settings.maxPayloadBytes + 64 * 1024,
      auth: config.auth,
      tls: config.tls,
    });
    if (extras.http) http = await extras.http.start(master, config, logger);
  } catch (error) {
    await grpc?.close(0);
    master.stop();
    store.close();
    // A port taken between the check and the bind: remove the store this start made (it holds
    // nothing). The lock file stays: see store-lock.ts for why it is never removed.
    if (created) for (const suffix of ['', '-wal', '-shm', '-ids']) rmSync(`${config.dbPath}${suffix}`, { force: true });
    throw error;
  }
  // Checkpoints off the hot path where a thread can open the store; SQLite's own are the safety net.
  const checkpointer = config.dbPath === ':memory:' ? null : startCheckpointer(config.dbPath, CHECKPOINT_EVERY_MS);
  if (checkpointer) store.setAutoCheckpoint(SAFETY_NET_PAGES);
  logger.info({ grpcPort: grpc.port, httpPort: http?.port ?? 0, db: config.dbPath, sync: config.sync }, 'master running');
  let stopping: Promise<void> | null = null;
  return {
    master,
    grpcPort: grpc.port,
    httpPort: http?.port ?? 0,
    stop: () => {
      stopping ??= (async () => {
        logger.info('master stopping');
        master.drain();
        await http?.stop();
        master.stop();
        await grpc!.close(1000);
        await checkpointer?.stop();
        store.close();
        logger.info('master stopped; store closed');
      })();
      return stopping;
    },
  };
}

/** Refuses at once, in one line naming the flag, a port that another process listens on (0: any port, always free). */
async function portIsFree(host: string, port: number, what: string, flag: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'EADDRINUSE' ? 'the port is in use' : error.code === 'EACCES' ? 'permission denied' : error.message;
      reject(new NucleusError(ErrorCode.Unavailable, `cannot listen for ${what} on ${host}:${port}: ${reason}; choose another ${flag}`, { cause: error }));
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
