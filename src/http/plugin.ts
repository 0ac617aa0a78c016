/**
 * The master's one HTTP server: Prometheus metrics (GET /metrics), probes (GET /healthz: the
 * process is up; GET /readyz: running and the store takes writes), the REST gateway (rest.ts),
 * the dashboard's API and live events (dashboard-api.ts) and the dashboard itself (web.ts).
 *
 * Port: the master's `--http-port` (default 8000; 0 disables the server). Code that embeds a
 * master (tests, tools) can create a gateway with `createHttpGateway({ port: 0 })`, where an
 * explicit 0 means "any free port", and read the port it got from `RunningMaster.httpPort`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { httpAuthCheck, NO_AUTH, type HttpAuthCheck } from '../rpc/auth.js';
import { httpsOptions } from '../rpc/tls.js';
import { ErrorCode, NucleusError, invalidArgument, toNucleusError } from '../errors.js';
import { MasterMetrics } from '../metrics.js';
import { restRoutes } from './rest.js';
import { DEFAULT_HTTP_LIMITS, limitConnections, serverTimingOptions, type HttpConnectionLimits } from './connection-limits.js';
import { dashboardRoutes, summaryView } from './dashboard-api.js';
import { LiveEvents } from './live-events.js';
import { Throughput } from './throughput.js';
import { LOGIN_PATH, openWebPath, webRoutes, type WebOptions } from './web.js';
import { WebSessions } from './web-session.js';
import { DEFAULT_UI } from '../config.js';
import { Router } from './router.js';
import { ClientGone, HttpRefusal, sendError, sendJson, sendProblem, sendText } from './respond.js';
import type { MasterPlugin } from '../services/master.js';
import type { Master } from '../master/master.js';
import type { Logger } from '../log.js';

export interface HttpGatewayOptions {
  /** Listen here instead of the configured `--http-port`; 0 picks a free port. */
  port?: number;
  /** Export the default process metrics too. Default true. */
  processMetrics?: boolean;
  /** Deadlines and the connection cap (connection-limits.ts); each defaults to DEFAULT_HTTP_LIMITS. */
  limits?: Partial<HttpConnectionLimits>;
}

function probeRoutes(router: Router, master: Master, metrics: MasterMetrics): Router {
  return router
    .on('GET', '/healthz', (ctx) => sendJson(ctx.res, 200, { status: 'ok', state: master.state, version: master.version }))
    .on('GET', '/readyz', (ctx) => {
      try {
        master.checkReady();
        sendJson(ctx.res, 200, { status: 'ready', state: master.state });
      } catch (error) {
        sendJson(ctx.res, 503, { status: 'not ready', state: master.state, reason: toNucleusError(error).message });
      }
    })
    .on('GET', '/metrics', async (ctx) => sendText(ctx.res, 200, metrics.contentType, await metrics.render()));
}

/** The request target as a URL; always under one origin, so `//x` stays a path. */
function requestUrl(target: string): URL {
  try {
    return new URL(`http://localhost${target.startsWith('/') ? '' : '/'}${target}`);
  } catch {
    throw invalidArgument('path', `"${target.slice(0, 80)}" is not a valid request target`);
  }
}

/** What the dashboard adds to every request: its open paths, browser sessions, live feed. */
interface WebGate {
  options: WebOptions;
  sessions: WebSessions;
  live: LiveEvents;
}

async function handle(router: Router, req: IncomingMessage, res: ServerResponse, logger: Logger, authorize: HttpAuthCheck, web: WebGate): Promise<void> {
  const method = req.method ?? 'GET';
  let url = new URL('http://localhost/');
  try {
    url = requestUrl(req.url ?? '/');
    // Before routing, so that a caller without the token learns nothing, and no body is read.
    // A browser proves the token once (its session cookie); the page itself and its assets are open.
    if (!openWebPath(url.pathname, web.options) && !web.sessions.hasSession(req)) authorize(url.pathname, req.headers.authorization);
    if (method === 'POST') web.sessions.guardPost(req, url.pathname === LOGIN_PATH);
    const match = router.match(method, url.pathname);
    if (match === null) return sendProblem(res, 404, 'NOT_FOUND', `no route ${method} ${url.pathname} (see GET /v1/jobs, /v1/stats, /metrics, /healthz)`);
    if ('allowed' in match) {
      return sendProblem(res, 405, 'METHOD_NOT_ALLOWED', `${url.pathname} takes ${match.allowed.join(' or ')}, not ${method}`, { allow: match.allowed.join(', ') });
    }
    await match.handler({ req, res, params: match.params, query: url.searchParams });
    // A change that is not a job's (a queue paused) reaches the live pages at the next tick.
    if (method === 'POST') web.live.touch();
  } catch (error) {
    if (error instanceof ClientGone) {
      // Nobody is left to answer; one short line, no stack (a stack would say a bug, and it is not).
      logger.info({ method, path: url.pathname, receivedBytes: error.receivedBytes }, 'http client closed the connection mid-request');
      res.destroy();
      return;
    }
    const e = error instanceof HttpRefusal ? error : toNucleusError(error);
    if (e instanceof NucleusError && e.code === 'INTERNAL') logger.error({ err: error, method, path: url.pathname }, 'http request failed');
    if (!res.headersSent) sendError(req, res, e);
    else res.destroy();
  }
}

/** The HTTP gateway as a master plugin; see the header for the port rules. */
export function createHttpGateway(options: HttpGatewayOptions = {}): MasterPlugin {
  return {
    async start(master, config, logger) {
      const port = options.port ?? config.httpPort;
      if (options.port === undefined && config.httpPort === 0) return { port: 0, stop: async () => undefined };
      const metrics = new MasterMetrics(master, { processMetrics: options.processMetrics });
      const ui = config.ui ?? DEFAULT_UI;
      const webOptions: WebOptions = { prefix: ui.prefix, enabled: ui.mode !== 'off', readOnly: ui.mode === 'read-only', version: master.version };
      const sessions = new WebSessions(config.auth ?? NO_AUTH, webOptions.readOnly, Boolean(config.tls));
      const throughput = new Throughput(master);
      let live: LiveEvents;
      const summary = () => summaryView(master, throughput, live.epoch);
      live = new LiveEvents(master, summary);
      // The dashboard's routes first: /v1/jobs/count must not be taken for /v1/jobs/:id.
      const router = restRoutes(probeRoutes(dashboardRoutes(webRoutes(new Router(), webOptions, sessions), master, live, summary), master, metrics), master);
      const authorize = httpAuthCheck(config.auth ?? NO_AUTH);
      const web: WebGate = { options: webOptions, sessions, live };
      const listener = (req: IncomingMessage, res: ServerResponse) => void handle(router, req, res, logger, authorize, web);
      // With TLS on the gRPC port, REST is HTTPS too: the token must not cross the network in clear.
      const limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
      const timing = serverTimingOptions(limits);
      const server = config.tls ? createHttpsServer({ ...httpsOptions(config.tls), ...timing }, listener) : createServer(timing, listener);
      limitConnections(server, limits, Boolean(config.tls), logger);
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, config.host, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        metrics.close();
        throughput.close();
        const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        throw new NucleusError(ErrorCode.Unavailable, `cannot listen for HTTP on ${config.host}:${port} (${reason}); choose another --http-port, or 0 to disable HTTP`, { cause: error });
      }
      server.on('error', (error) => logger.error({ err: error }, 'http server error'));
      const address = server.address();
      return {
        port: typeof address === 'object' && address ? address.port : port,
        stop: () =>
          new Promise<void>((resolve) => {
            metrics.close();
            throughput.close();
            live.close();
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      };
    },
  };
}

/** The gateway `nucleus master` and `nucleus dev` use: on the configured port, off when it is 0. */
export const httpGateway: MasterPlugin = createHttpGateway();
