/**
 * How a browser is let in and kept from being misused (the dashboard's security):
 * - A master with a token asks for it once (POST /v1/ui/login); the answer is a session cookie,
 *   HttpOnly (no script can read it) and SameSite=Strict (no other site's page can send it).
 *   The cookie is `<issued>.<mac>`, a MAC keyed by the token, so it needs no server state,
 *   outlives a master restart, and dies when the token changes.
 * - Every POST from a browser carries `x-nucleus-csrf`, a MAC of the session; a cross-site page
 *   can neither read it nor add the header without a CORS preflight, which is never granted. A
 *   browser POST whose Origin is another host is refused as well.
 * - `--ui read-only` refuses every POST from a browser (the pages hide the actions too).
 * A request that carries `authorization: Bearer` is a program, not a browser: it needs none of this.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TokenCheck, type AuthConfig } from '../rpc/auth.js';
import { HttpRefusal } from './respond.js';

export const SESSION_COOKIE = 'nucleus_session';
/** A login lasts this long; then the page asks for the token again. */
export const SESSION_MAX_AGE_MS = 12 * 3_600_000;
export const CSRF_HEADER = 'x-nucleus-csrf';

function cookieOf(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export class WebSessions {
  private readonly key: Buffer;
  private readonly check: TokenCheck;

  constructor(
    private readonly auth: AuthConfig,
    private readonly readOnly: boolean,
    private readonly secure: boolean,
    private readonly now: () => number = Date.now,
  ) {
    // Keyed by the token, sessions and CSRF tokens survive a restart; an open master has nothing
    // to keep, and a fresh key per process is enough (the page fetches a new CSRF token on 403).
    this.key = auth.token ? createHash('sha256').update(`nucleus-ui\0${auth.token}`).digest() : randomBytes(32);
    this.check = new TokenCheck({ ...auth, workerToken: null });
  }

  get tokenRequired(): boolean {
    return this.auth.token !== null;
  }

  private mac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('base64url');
  }

  /** Whether the request carries a live session cookie (and no Authorization header of its own). */
  hasSession(req: IncomingMessage): boolean {
    if (req.headers.authorization !== undefined) return false;
    const cookie = cookieOf(req, SESSION_COOKIE);
    if (!cookie) return false;
    const [issued, mac] = cookie.split('.');
    const at = parseInt(issued ?? '', 36);
    if (!Number.isFinite(at) || !mac || !same(mac, this.mac(`session:${issued}`))) return false;
    const age = this.now() - at;
    return age >= -60_000 && age < SESSION_MAX_AGE_MS;
  }

  /** A browser: it sent our cookie, an Origin, or fetch metadata; never one with a Bearer header. */
  fromBrowser(req: IncomingMessage): boolean {
    if (req.headers.authorization !== undefined) return false;
    return this.hasSession(req) || req.headers.origin !== undefined || req.headers['sec-fetch-site'] !== undefined;
  }

  csrfToken(req: IncomingMessage): string {
    return this.mac(`csrf:${this.hasSession(req) ? cookieOf(req, SESSION_COOKIE) : 'open'}`);
  }

  /** The session cookie for a correct token, or null. */
  login(token: string): string | null {
    if (this.check.refusal('client', `Bearer ${token}`, 'the dashboard') !== null) return null;
    const issued = this.now().toString(36);
    return this.cookie(`${issued}.${this.mac(`session:${issued}`)}`, SESSION_MAX_AGE_MS / 1000);
  }

  logoutCookie(): string {
    return this.cookie('', 0);
  }

  private cookie(value: string, maxAge: number): string {
    return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${this.secure ? '; Secure' : ''}`;
  }

  /**
   * Throws 403 for a browser POST that must not happen: from another origin, without the CSRF
   * token, or (read-only) at all. `login` is exempt from the token (there is no session yet).
   */
  guardPost(req: IncomingMessage, login: boolean): void {
    if (!this.fromBrowser(req)) return;
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      let host = '';
      try {
        host = new URL(origin).host;
      } catch {
        // unparsable: refused below
      }
      if (host !== req.headers.host) throw new HttpRefusal(403, 'FORBIDDEN', `origin ${origin.slice(0, 80)} is not this master; the dashboard acts only from its own pages`);
    }
    if (login) return;
    if (this.readOnly) throw new HttpRefusal(403, 'READ_ONLY', 'the dashboard is read-only on this master (--ui read-only); nothing was changed');
    const given = req.headers[CSRF_HEADER];
    if (typeof given !== 'string' || !same(given, this.csrfToken(req))) {
      throw new HttpRefusal(403, 'CSRF_TOKEN', `missing or stale ${CSRF_HEADER} header; reload the page (nothing was changed)`);
    }
  }
}
