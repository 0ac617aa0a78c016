/**
 * What keeps slow or idle HTTP clients from exhausting the master: a deadline for the headers and
 * for the whole request (a body trickled in a byte at a time is cut off), an idle limit between
 * requests on a kept-alive connection, and a cap on open connections. Past the cap a new
 * connection gets one `503` naming the limit and is closed, instead of holding a descriptor that
 * gRPC and the store also need.
 *
 * A response may take long (a result wait of up to an hour): none of these limits applies to it.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';

export interface HttpConnectionLimits {
  /** Time to receive a request's headers. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, headers and body. */
  requestTimeoutMs: number;
  /** How long a kept-alive connection may sit idle between requests. */
  keepAliveTimeoutMs: number;
  /** Open connections at most; more are answered 503 and closed. */
  maxConnections: number;
}

export const DEFAULT_HTTP_LIMITS: HttpConnectionLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 2_048,
};

/** Options for `createServer`: how often Node checks the header and request deadlines. */
export function serverTimingOptions(limits: HttpConnectionLimits): { connectionsCheckingInterval: number } {
  // Node's default (30 s) would let a deadline run up to 30 s late.
  return { connectionsCheckingInterval: Math.max(50, Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4) };
}

/**
 * Applies `limits` to a server before it listens. Over TLS a refused connection is closed
 * without the 503 (that would need the handshake the cap exists to spare).
 */
export function limitConnections(server: Server, limits: HttpConnectionLimits, tls: boolean, logger: Logger): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  const open = new Set<Socket>();
  let refusedSinceLog = 0;
  let lastLog = 0;
  // The server's own 'connection' handlers (the HTTP parser, or TLS) see only accepted sockets.
  const accept = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    if (open.size < limits.maxConnections) {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      for (const listener of accept) listener.call(server, socket);
      return;
    }
    socket.on('error', () => undefined);
    if (tls) socket.destroy();
    else {
      const body = JSON.stringify({ error: { code: 'UNAVAILABLE', message: `the master has ${open.size} HTTP connections open, its limit; try again later` } });
      socket.end(`HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nretry-after: 1\r\nconnection: close\r\n\r\n${body}`);
    }
    refusedSinceLog++;
    const now = Date.now();
    if (now - lastLog >= 10_000) {
      logger.warn({ refused: refusedSinceLog, limit: limits.maxConnections }, 'http connections refused: at the connection limit');
      refusedSinceLog = 0;
      lastLog = now;
    }
  });
}
