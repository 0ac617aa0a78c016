/**
 * The master's gRPC server: JobService and WorkerService on one port.
 */
import { setLogger, type Server } from '@grpc/grpc-js';
import { JobServiceService } from './generated/nucleus/v1/jobs.js';
import { WorkerServiceService } from './generated/nucleus/v1/worker.js';
import { jobService } from './job-service.js';
import { workerService } from './worker-service.js';
import { addHealthService } from './health.js';
import { addReflectionService } from './reflection.js';
import { ErrorCode, NucleusError } from '../errors.js';
import { authInterceptor, NO_AUTH, type AuthConfig } from './auth.js';
import { serverCredentials, type ServerTlsFiles } from './tls.js';
import { decodeGuardInterceptor, GuardedServer } from './wire-guard.js';
import type { Master } from '../master/master.js';
import type { Logger } from '../log.js';

export interface GrpcServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Largest message accepted, in bytes (payload limit plus headroom). */
  maxMessageBytes: number;
  /**
   * Largest message sent; default twice `maxMessageBytes`, so that a job read with its payload
   * and its result (each up to the payload limit) fits one reply.
   */
  maxReplyBytes?: number;
  /** Tokens every call must carry (see auth.ts); default: none. */
  auth?: AuthConfig;
  /** Certificate files; default: plaintext. */
  tls?: ServerTlsFiles | null;
  /**
   * Most calls in flight on one client connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS);
   * a client past it waits for a free stream instead of piling work on the master.
   */
  maxConcurrentStreams?: number;
  /** How long a worker stream may go without Hello; default HELLO_DEADLINE_MS. */
  helloDeadlineMs?: number;
}

/** Default ceiling of in-flight calls per client connection. */
export const MAX_CONCURRENT_STREAMS = 1000;
/** A client connection without a call for this long is closed. */
export const MAX_CONNECTION_IDLE_MS = 300_000;

export interface RunningGrpcServer {
  server: Server;
  port: number;
  /** Stops accepting calls, waits briefly for calls to finish, then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

let bindLogQuiet = false;

/**
 * grpc-js logs a failed bind (`E No address added out of total 1 resolved`) before it hands the
 * same failure to the bind callback, which reports it as one line: keep its other lines, drop
 * that one. Set once, when the first server starts, not when this module is imported.
 */
function quietBindFailures(): void {
  if (bindLogQuiet) return;
  bindLogQuiet = true;
  const line = (tag: string) => (message?: unknown, ...rest: unknown[]) => console.error(`${tag} ${String(message)}`, ...rest);
  const error = line('E');
  setLogger({
    error: (message?: unknown, ...rest: unknown[]) => {
      if (typeof message === 'string' && message.startsWith('No address added')) return;
      error(message, ...rest);
    },
    info: line('I'),
    debug: line('D'),
  });
}

export async function startGrpcServer(master: Master, logger: Logger, options: GrpcServerOptions): Promise<RunningGrpcServer> {
  // Guarded: a request that does not decode is INVALID_ARGUMENT, not INTERNAL (wire-guard.ts).
  const maxReplyBytes = options.maxReplyBytes ?? 2 * options.maxMessageBytes;
  const server = new GuardedServer({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': maxReplyBytes,
    'grpc.keepalive_time_ms': 20_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000,
    'grpc.max_concurrent_streams': options.maxConcurrentStreams ?? MAX_CONCURRENT_STREAMS,
    // A connection with no call for this long is closed (a worker's stream is a call, so its
    // connection never idles); it spares descriptors that clients left open and forgot.
    'grpc.max_connection_idle_ms': MAX_CONNECTION_IDLE_MS,
    interceptors: [authInterceptor(options.auth ?? NO_AUTH), decodeGuardInterceptor()],
  });
  server.addService(JobServiceService, jobService(master, options.maxMessageBytes, maxReplyBytes));
  server.addService(WorkerServiceService, workerService(master, logger, options.maxMessageBytes, options.helloDeadlineMs));
  addHealthService(server, master);
  addReflectionService(server, logger);
  const address = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  const credentials = serverCredentials(options.tls ?? null);
  quietBindFailures();
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (error, bound) => {
      if (error) {
        const reason = /EADDRINUSE/.test(error.message) ? 'the port is in use; choose another --port' : error.message;
        reject(new NucleusError(ErrorCode.Unavailable, `cannot listen for gRPC on ${address}: ${reason}`, { cause: error }));
      } else resolve(bound);
    });
  });
  return {
    server,
    port,
    close: (graceMs = 2000) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
