/**
 * Shared-token authentication for the master's gRPC services and HTTP gateway.
 *
 * Guarantees:
 * - When a token is configured, every call must carry `authorization: Bearer <token>`; a call
 *   without it, or with another token, ends with UNAUTHENTICATED before its first message is
 *   read, so no handler runs and nothing is written.
 * - Tokens are compared in constant time: both sides are hashed to SHA-256 digests of equal
 *   length and compared with `crypto.timingSafeEqual`, so neither the length nor a common prefix
 *   of the expected token leaks through timing.
 * - With a separate worker token, the two roles are disjoint: the client token cannot open
 *   WorkerService.Connect and the worker token cannot call JobService, so a submitter cannot pose
 *   as a worker (and take or complete other people's jobs) and a worker host cannot submit.
 * - `grpc.health.v1.Health` stays open (load balancers and probes carry no token), as does
 *   `GET /healthz`; `/readyz` and `/metrics` are open unless metrics protection is asked for.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  InterceptingCall,
  Metadata,
  ResponderBuilder,
  ServerInterceptingCall,
  ServerListenerBuilder,
  status as GrpcStatus,
  type Interceptor,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import { ErrorCode, NucleusError, invalidArgument } from '../errors.js';

/** Who may call what. Resolved once from flags by config.ts. */
export interface AuthConfig {
  /** Token for clients (JobService, reflection, REST); null leaves those open. */
  token: string | null;
  /** Token for workers (WorkerService); null means workers use `token`. */
  workerToken: string | null;
  /** Require the client token for GET /metrics and /readyz too. */
  protectMetrics: boolean;
}

export const NO_AUTH: AuthConfig = { token: null, workerToken: null, protectMetrics: false };

/** Shortest token accepted: a guessable token is worse than none, because it looks safe. */
export const MIN_TOKEN_LENGTH = 16;
export const MAX_TOKEN_LENGTH = 4096;

const WORKER_SERVICE = '/nucleus.v1.WorkerService/';
const HEALTH_SERVICE = '/grpc.health.v1.Health/';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Checks a token's shape; `flag` names where it came from. */
export function parseToken(text: string, flag: string): string {
  const token = text.trim();
  if (token.length < MIN_TOKEN_LENGTH || token.length > MAX_TOKEN_LENGTH) {
    throw invalidArgument(flag, `a token must be ${MIN_TOKEN_LENGTH} to ${MAX_TOKEN_LENGTH} characters (got ${token.length}); e.g. openssl rand -hex 32`);
  }
  if (!/^[\x21-\x7e]+$/.test(token)) throw invalidArgument(flag, 'a token must be printable ASCII without spaces (it travels in a header)');
  return token;
}

/** Reads a token from a file (first line, trimmed), so that it does not show in `ps`. */
export function readTokenFile(path: string, flag: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw invalidArgument(flag, `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parseToken(text.split(/\r?\n/)[0] ?? '', `${flag} ${path}`);
}

/** The token carried by a header value `Bearer <token>`, or null. */
function bearer(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match ? match[1] : null;
}

type Role = 'client' | 'worker';

/**
 * Decides one call. Returns null when it may go on, else the message of the refusal.
 * `role` is what the call needs; `service` names it for the message.
 */
export class TokenCheck {
  private readonly client: Buffer | null;
  private readonly worker: Buffer | null;
  private readonly separate: boolean;

  constructor(readonly auth: AuthConfig) {
    this.client = auth.token === null ? null : digest(auth.token);
    this.worker = auth.workerToken === null ? this.client : digest(auth.workerToken);
    this.separate = auth.workerToken !== null && auth.token !== null && auth.workerToken !== auth.token;
  }

  /** True when some call needs a token at all. */
  get enabled(): boolean {
    return this.client !== null || this.worker !== null;
  }

  refusal(role: Role, header: unknown, service: string): string | null {
    const expected = role === 'worker' ? this.worker : this.client;
    if (expected === null) return null;
    const token = bearer(header);
    if (token === null) {
      const hint = role === 'worker' ? 'the worker token (worker --token or NUCLEUS_TOKEN)' : 'a token (--token or NUCLEUS_TOKEN)';
      return `missing token: ${service} on this master requires ${hint}, sent as "authorization: Bearer <token>"`;
    }
    const given = digest(token);
    if (timingSafeEqual(given, expected)) return null;
    // Naming the other role helps an operator who swapped the tokens; only a holder of that token learns it.
    if (this.separate) {
      const other = role === 'worker' ? this.client! : this.worker!;
      if (timingSafeEqual(given, other)) {
        return role === 'worker'
          ? `wrong token: the client token cannot connect as a worker; ${service} needs the worker token`
          : `wrong token: the worker token cannot call ${service}; use the client token`;
      }
    }
    return `wrong token for ${service}`;
  }
}

/** The role a gRPC method needs, or null for the open ones (health). */
function roleOf(path: string): Role | null {
  if (path.startsWith(HEALTH_SERVICE)) return null;
  return path.startsWith(WORKER_SERVICE) ? 'worker' : 'client';
}

/** `/nucleus.v1.JobService/SubmitJob` -> `nucleus.v1.JobService`. */
const serviceOf = (path: string): string => path.split('/')[1] || path;

/**
 * A server interceptor that checks the token in the call's metadata before anything else. A
 * refused call never reaches its handler: the metadata is not passed on, so no message is read.
 */
export function authInterceptor(auth: AuthConfig): ServerInterceptor {
  const check = new TokenCheck(auth);
  return (method, call) => {
    const role = roleOf(method.path);
    if (role === null || !check.enabled) return new ServerInterceptingCall(call);
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const refusal = check.refusal(role, metadata.get('authorization')[0], serviceOf(method.path));
        if (refusal === null) next(metadata);
        else call.sendStatus({ code: GrpcStatus.UNAUTHENTICATED, details: refusal, metadata: new Metadata() });
      })
      .build();
    const responder = new ResponderBuilder().withStart((next) => next(listener)).build();
    return new ServerInterceptingCall(call, responder);
  };
}

/** A client interceptor that adds `authorization: Bearer <token>` to every call. */
export function tokenInterceptor(token: string): Interceptor {
  const value = `Bearer ${token}`;
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', value);
        next(metadata, listener);
      },
    });
}

/** HTTP paths that never need a token. `/metrics` and `/readyz` join them unless protected. */
const OPEN_HTTP = new Set(['/healthz']);
const PROBE_HTTP = new Set(['/metrics', '/readyz']);

/**
 * The HTTP gateway's check: throws UNAUTHENTICATED (401) for a request that must carry the
 * client token and does not. Called before the route runs, so a refused request reads no body.
 */
export type HttpAuthCheck = (path: string, authorization: string | undefined) => void;

export function httpAuthCheck(auth: AuthConfig): HttpAuthCheck {
  const check = new TokenCheck({ ...auth, workerToken: null });
  return (path, authorization) => {
    const normalised = path.length > 1 ? path.replace(/\/+$/, '') : path;
    if (OPEN_HTTP.has(normalised) || (!auth.protectMetrics && PROBE_HTTP.has(normalised))) return;
    const refusal = check.refusal('client', authorization, 'the REST API');
    if (refusal !== null) throw new NucleusError(ErrorCode.Unauthenticated, refusal);
  };
}
