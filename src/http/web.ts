/**
 * Serving the dashboard: its page at `--ui-path` (default `/`), its assets under
 * `<ui-path>/assets/` from memory (hashed names, cached for a year, ETag, gzip when the browser
 * takes it), and the browser's session routes (GET /v1/ui/session, POST /v1/ui/login and
 * /v1/ui/logout). The page is a shell with no inline script; a strict Content-Security-Policy
 * lets it load only its own script and style from this origin and talk only to this origin.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidArgument } from '../errors.js';
import { webAssets, type WebAsset } from './web-assets.js';
import { WebSessions } from './web-session.js';
import { readJsonBody, sendJson, sendProblem } from './respond.js';
import type { Router } from './router.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

export const SESSION_PATH = '/v1/ui/session';
export const LOGIN_PATH = '/v1/ui/login';
const LOGOUT_PATH = '/v1/ui/logout';

export interface WebOptions {
  /** Where the page lives, '' for the root; no trailing slash. */
  prefix: string;
  /** Serve the page and assets at all (`--no-ui` turns them off; the API stays). */
  enabled: boolean;
  readOnly: boolean;
  version: string;
}

/** Escapes text for an HTML attribute value in double quotes. */
const attribute = (text: string): string => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function page(assets: Map<string, WebAsset>, options: WebOptions, sessions: WebSessions): string {
  const find = (entry: string) => [...assets.values()].find((a) => a.entry === entry)?.name;
  const config = { base: `${options.prefix}/`, readOnly: options.readOnly, tokenRequired: sessions.tokenRequired, version: options.version };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="nucleus-config" content="${attribute(JSON.stringify(config))}">
<title>Nucleus</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${options.prefix}/assets/${find('style.css')}">
<script type="module" src="${options.prefix}/assets/${find('main.js')}"></script>
</head>
<body><div id="app"><noscript>The Nucleus dashboard needs JavaScript.</noscript></div></body>
</html>
`;
}

function sendAsset(req: IncomingMessage, res: ServerResponse, asset: WebAsset): void {
  const headers: Record<string, string | number> = {
    'content-type': asset.contentType,
    'cache-control': 'public, max-age=31536000, immutable',
    etag: asset.etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
  };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? asset.gzip : asset.body;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Paths a browser may reach without the token: the page, its assets, and the session routes. */
export function openWebPath(path: string, options: WebOptions): boolean {
  if (path === SESSION_PATH || path === LOGIN_PATH || path === LOGOUT_PATH) return true;
  if (!options.enabled) return false;
  const p = options.prefix;
  return path === (p || '/') || path === `${p}/` || path.startsWith(`${p}/assets/`);
}

export function webRoutes(router: Router, options: WebOptions, sessions: WebSessions): Router {
  if (options.enabled) {
    const showPage = (req: IncomingMessage, res: ServerResponse) => {
      const assets = webAssets();
      if (!assets) return sendProblem(res, 503, 'UNAVAILABLE', 'the dashboard was not built into this copy of nucleus (npm run build builds it)');
      const html = page(assets, options, sessions);
      res.writeHead(200, { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(html) });
      res.end(html);
    };
    router.on('GET', options.prefix || '/', (ctx) => {
      // Without the slash, the page's relative links would resolve one level up.
      if (options.prefix && !ctx.req.url?.split('?')[0].endsWith('/')) {
        ctx.res.writeHead(308, { location: `${options.prefix}/` });
        return void ctx.res.end();
      }
      showPage(ctx.req, ctx.res);
    });
    router.on('GET', `${options.prefix}/assets/:name`, (ctx) => {
      const asset = webAssets()?.get(ctx.params.name);
      if (!asset) return sendProblem(ctx.res, 404, 'NOT_FOUND', `no dashboard asset ${ctx.params.name.slice(0, 80)}`);
      sendAsset(ctx.req, ctx.res, asset);
    });
  }
  return router
    .on('GET', SESSION_PATH, (ctx) => {
      const signedIn = !sessions.tokenRequired || sessions.hasSession(ctx.req);
      sendJson(
        ctx.res,
        200,
        { tokenRequired: sessions.tokenRequired, signedIn, csrf: signedIn ? sessions.csrfToken(ctx.req) : null, readOnly: options.readOnly, version: options.version },
        { 'cache-control': 'no-store' },
      );
    })
    .on('POST', LOGIN_PATH, async (ctx) => {
      const body = (await readJsonBody(ctx.req, 8192, 'a login is small')) as { token?: unknown } | undefined;
      const token = body && typeof body === 'object' && typeof body.token === 'string' ? body.token.trim() : '';
      if (token === '') throw invalidArgument('token', 'is required: the master\'s token (--token)');
      if (!sessions.tokenRequired) return sendJson(ctx.res, 200, { signedIn: true });
      const cookie = sessions.login(token);
      if (cookie === null) return sendProblem(ctx.res, 401, 'UNAUTHENTICATED', 'wrong token; ask whoever runs this master for its --token');
      sendJson(ctx.res, 200, { signedIn: true }, { 'set-cookie': cookie, 'cache-control': 'no-store' });
    })
    .on('POST', LOGOUT_PATH, (ctx) => sendJson(ctx.res, 200, { signedIn: false }, { 'set-cookie': sessions.logoutCookie() }));
}
