/**
 * The master's HTTP server: health and readiness probes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { toNucleusError } from '../errors.js';
import type { MasterPlugin } from '../services/master.js';
import type { Master } from '../master/master.js';

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function route(master: Master, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/healthz') return send(res, 200, { status: 'ok', state: master.state });
  if (req.method === 'GET' && path === '/readyz') {
    try {
      master.checkReady();
      return send(res, 200, { status: 'ready', state: master.state });
    } catch (error) {
      return send(res, 503, { status: 'not ready', state: master.state, reason: toNucleusError(error).message });
    }
  }
  send(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${path}` } });
}

export const httpGateway: MasterPlugin = {
  async start(master, config, logger) {
    if (config.httpPort === 0) return { port: 0, stop: async () => undefined };
    const server = createServer((req, res) => {
      try {
        route(master, req, res);
      } catch (error) {
        logger.error({ err: error }, 'http request failed');
        if (!res.headersSent) send(res, 500, { error: { code: 'INTERNAL', message: toNucleusError(error).message } });
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.httpPort, config.host, () => resolve());
    });
    const address = server.address();
    return {
      port: typeof address === 'object' && address ? address.port : config.httpPort,
      stop: () => new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    };
  },
};
