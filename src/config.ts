/**
 * Configuration, resolved once: flags > NUCLEUS_* environment variables > defaults, into one
 * fully-filled object per role, durations in ms. This is the only module that reads process.env.
 */
import { parseDuration } from './core/duration.js';
import { parseName } from './core/validation.js';
import { invalidArgument } from './errors.js';
import { DEFAULT_MASTER_SETTINGS, type MasterSettings } from './master/master.js';
import { LOG_LEVELS, type LogLevel } from './log.js';
import { DEFAULT_MASTER } from './rpc/client.js';
import type { SyncMode } from './store/sqlite-store.js';
import { parseAllowList } from './handlers/network-guard.js';
import { DEFAULT_ISOLATION, ISOLATIONS, type Isolation } from './worker/isolation-mode.js';
import { MIN_TOKEN_LENGTH, parseToken, readTokenFile, type AuthConfig } from './rpc/auth.js';
import { clientTlsFiles, serverTlsFiles, type ClientTlsFiles, type ServerTlsFiles } from './rpc/tls.js';

type Env = Record<string, string | undefined>;

/** A flag's value, else its environment variable, else undefined. */
function pick(flag: string | number | boolean | undefined, env: Env, name: string): string | undefined {
  if (flag !== undefined && flag !== '') return String(flag);
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function durationSetting(text: string | undefined, fallbackMs: number, flag: string, allowZero = false): number {
  if (text === undefined) return fallbackMs;
  const ms = parseDuration(text);
  if (typeof ms !== 'number') throw invalidArgument(flag, ms.error);
  if (ms === 0 && !allowZero) throw invalidArgument(flag, 'must be greater than zero');
  return ms;
}

export function intSetting(text: string | undefined, fallback: number, flag: string, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw invalidArgument(flag, `must be an integer from ${min} to ${max} (got "${text}")`);
  return n;
}

/** Sizes as people write them: 1048576, 512KiB, 1MiB, 1MB. */
export function sizeSetting(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const match = /^(\d+)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/i.exec(text.trim());
  if (!match) throw invalidArgument(flag, `"${text}" is not a size (use e.g. 1048576, 512KiB, 4MiB)`);
  const unit = (match[2] ?? 'B').toLowerCase();
  const factor = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 }[unit] ?? 1;
  return Number(match[1]) * factor;
}

function isolationSetting(text: string | undefined): Isolation {
  const mode = (text ?? DEFAULT_ISOLATION) as Isolation;
  if (!ISOLATIONS.includes(mode)) throw invalidArgument('--isolation', `must be one of ${ISOLATIONS.join(', ')} (got "${text}")`);
  return mode;
}

function logLevel(text: string | undefined, flag = '--log-level'): LogLevel {
  const level = (text ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw invalidArgument(flag, `must be one of ${LOG_LEVELS.join(', ')} (got "${text}")`);
  return level;
}

export interface MasterFlags {
  host?: string;
  port?: number;
  'http-port'?: number;
  db?: string;
  sync?: string;
  'heartbeat-timeout'?: string;
  'heartbeat-interval'?: string;
  'default-timeout'?: string;
  'max-payload'?: string;
  retention?: string;
  'idempotency-window'?: string;
  'log-level'?: string;
  token?: string;
  'worker-token'?: string;
  'worker-token-file'?: string;
  'token-file'?: string;
  'protect-metrics'?: boolean;
  'tls-cert'?: string;
  'tls-key'?: string;
  'tls-client-ca'?: string;
  ui?: string;
  'no-ui'?: boolean;
  'ui-path'?: string;
}

/** The dashboard on the HTTP port: full (default), read-only (every action hidden and refused), off. */
export type UiMode = 'full' | 'read-only' | 'off';
export const UI_MODES: readonly UiMode[] = ['full', 'read-only', 'off'];

export interface UiConfig {
  mode: UiMode;
  /** Where the page is served: '' for the root, else '/prefix' (no trailing slash). */
  prefix: string;
}

export const DEFAULT_UI: UiConfig = { mode: 'full', prefix: '' };

/** Paths the API and probes own; the dashboard cannot be mounted on them. */
const RESERVED_PATHS = ['/v1', '/metrics', '/healthz', '/readyz', '/submit_job', '/get_all_jobs'];

function uiSetting(flags: MasterFlags, env: Env): UiConfig {
  const text = (pick(flags.ui, env, 'NUCLEUS_UI') ?? DEFAULT_UI.mode).toLowerCase();
  if (!(UI_MODES as readonly string[]).includes(text)) throw invalidArgument('--ui', `must be one of ${UI_MODES.join(', ')} (got "${text}")`);
  const mode = flags['no-ui'] ? 'off' : (text as UiMode);
  const path = pick(flags['ui-path'], env, 'NUCLEUS_UI_PATH') ?? '/';
  if (!/^\/[A-Za-z0-9._~\/-]*$/.test(path) || /(^|\/)\.\.?(\/|$)/.test(path) || path.includes('//')) {
    throw invalidArgument('--ui-path', `must be a URL path such as /dashboard: letters, digits, . _ ~ - and / (got "${path.slice(0, 80)}")`);
  }
  const prefix = path.replace(/\/+$/, '');
  const taken = RESERVED_PATHS.find((r) => prefix === r || prefix.startsWith(`${r}/`));
  if (taken) throw invalidArgument('--ui-path', `${prefix} is under ${taken}, which the API uses; choose another path`);
  return { mode, prefix };
}

/** Loopback: a master is reachable from other hosts only when `--host` says so. */
export const DEFAULT_MASTER_HOST = '127.0.0.1';

/** Whether a listening address accepts this host only. */
export const isLoopback = (host: string): boolean => /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i.test(host);

export interface MasterConfig {
  host: string;
  port: number;
  /** 0 disables the HTTP server. */
  httpPort: number;
  dbPath: string;
  sync: SyncMode;
  logLevel: LogLevel;
  settings: MasterSettings;
  /** Tokens that calls must carry; all null leaves the master open. */
  auth: AuthConfig;
  /** Certificate files for TLS; null serves plaintext. */
  tls: ServerTlsFiles | null;
  /** The dashboard on the HTTP port. */
  ui: UiConfig;
}

/**
 * A token from `--<name>` or `--<name>-file` (never both), else `NUCLEUS_<NAME>` or
 * `NUCLEUS_<NAME>_FILE`; checked for shape. A flag given empty is refused: taken as unset, it
 * would quietly leave a door open (or let another token open it).
 */
function tokenSetting(flags: object, env: Env, name = 'token'): string | null {
  const value = (flags as Record<string, string | undefined>)[name];
  const file = (flags as Record<string, string | undefined>)[`${name}-file`];
  const envName = `NUCLEUS_${name.toUpperCase().replace(/-/g, '_')}`;
  if (value === '') throw invalidArgument(`--${name}`, `is empty; give a token of ${MIN_TOKEN_LENGTH} or more characters, or leave the flag out`);
  if (file === '') throw invalidArgument(`--${name}-file`, 'is empty; give the path of a file that holds the token');
  if (value && file) throw invalidArgument(`--${name}-file`, `give either --${name} or --${name}-file, not both`);
  if (value) return parseToken(value, `--${name}`);
  if (file) return readTokenFile(file, `--${name}-file`);
  if (env[envName]) return parseToken(env[envName], envName);
  if (env[`${envName}_FILE`]) return readTokenFile(env[`${envName}_FILE`]!, `${envName}_FILE`);
  return null;
}

/** What a client or worker needs to reach a master that asks for a token or TLS. */
export interface ClientSecurityFlags {
  token?: string;
  'token-file'?: string;
  'tls-ca'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
}

/** A client's or worker's token and TLS files. */
export interface ClientSecurity {
  /** Sent as `authorization: Bearer <token>` on every call; null sends none. */
  token: string | null;
  /** TLS files; null connects in plaintext. */
  tls: ClientTlsFiles | null;
}

export function resolveClientSecurity(flags: ClientSecurityFlags, env: Env = process.env): ClientSecurity {
  return {
    token: tokenSetting(flags, env),
    tls: clientTlsFiles(
      pick(flags['tls-ca'], env, 'NUCLEUS_TLS_CA'),
      pick(flags['tls-cert'], env, 'NUCLEUS_TLS_CLIENT_CERT'),
      pick(flags['tls-key'], env, 'NUCLEUS_TLS_CLIENT_KEY'),
    ),
  };
}

function masterAuth(flags: MasterFlags, env: Env): AuthConfig {
  return {
    token: tokenSetting(flags, env),
    workerToken: tokenSetting(flags, env, 'worker-token'),
    protectMetrics: flags['protect-metrics'] ?? /^(1|true|yes)$/i.test(env.NUCLEUS_PROTECT_METRICS ?? ''),
  };
}

export function resolveMasterConfig(flags: MasterFlags, env: Env = process.env): MasterConfig {
  const sync = (pick(flags.sync, env, 'NUCLEUS_SYNC') ?? 'normal').toLowerCase();
  if (sync !== 'normal' && sync !== 'full') throw invalidArgument('--sync', `must be normal or full (got "${sync}")`);
  const d = DEFAULT_MASTER_SETTINGS;
  const heartbeatIntervalMs = durationSetting(pick(flags['heartbeat-interval'], env, 'NUCLEUS_HEARTBEAT_INTERVAL'), d.heartbeatIntervalMs, '--heartbeat-interval');
  const heartbeatTimeoutMs = durationSetting(pick(flags['heartbeat-timeout'], env, 'NUCLEUS_HEARTBEAT_TIMEOUT'), d.heartbeatTimeoutMs, '--heartbeat-timeout');
  if (heartbeatTimeoutMs <= heartbeatIntervalMs) {
    throw invalidArgument('--heartbeat-timeout', `must be longer than the heartbeat interval (${heartbeatIntervalMs} ms)`);
  }
  return {
    host: pick(flags.host, env, 'NUCLEUS_HOST') ?? DEFAULT_MASTER_HOST,
    port: intSetting(pick(flags.port, env, 'NUCLEUS_PORT'), 50051, '--port', 0, 65535),
    httpPort: intSetting(pick(flags['http-port'], env, 'NUCLEUS_HTTP_PORT'), 8000, '--http-port', 0, 65535),
    dbPath: pick(flags.db, env, 'NUCLEUS_DB') ?? './nucleus.db',
    sync,
    logLevel: logLevel(pick(flags['log-level'], env, 'NUCLEUS_LOG_LEVEL')),
    auth: masterAuth(flags, env),
    ui: uiSetting(flags, env),
    tls: serverTlsFiles(
      pick(flags['tls-cert'], env, 'NUCLEUS_TLS_CERT'),
      pick(flags['tls-key'], env, 'NUCLEUS_TLS_KEY'),
      pick(flags['tls-client-ca'], env, 'NUCLEUS_TLS_CLIENT_CA'),
    ),
    settings: {
      heartbeatIntervalMs,
      heartbeatTimeoutMs,
      timeoutGraceMs: d.timeoutGraceMs,
      defaultTimeoutMs: durationSetting(pick(flags['default-timeout'], env, 'NUCLEUS_DEFAULT_TIMEOUT'), d.defaultTimeoutMs, '--default-timeout'),
      maxPayloadBytes: sizeSetting(pick(flags['max-payload'], env, 'NUCLEUS_MAX_PAYLOAD'), d.maxPayloadBytes, '--max-payload'),
      retentionMs: durationSetting(pick(flags.retention, env, 'NUCLEUS_RETENTION'), d.retentionMs, '--retention', true),
      idempotencyWindowMs: durationSetting(pick(flags['idempotency-window'], env, 'NUCLEUS_IDEMPOTENCY_WINDOW'), d.idempotencyWindowMs, '--idempotency-window', true),
    },
  };
}

export interface WorkerFlags extends ClientSecurityFlags {
  id?: string;
  master?: string;
  concurrency?: number;
  queues?: string;
  handlers?: string;
  'allow-exec'?: string;
  grace?: string;
  'log-level'?: string;
  'metrics-port'?: number;
  'metrics-host'?: string;
  'allow-http-hosts'?: string;
  isolation?: string;
}

export interface WorkerConfig extends ClientSecurity {
  /** Where the handlers of --handlers run: a worker thread, a child process, or this thread. */
  isolation: Isolation;
  id: string;
  master: string;
  concurrency: number;
  queues: string[];
  /** Path of a module of user handlers, or null. */
  handlersPath: string | null;
  /** Programs the `exec` job type may run (`*` = any); empty disables `exec`. */
  allowExec: string[];
  graceMs: number;
  logLevel: LogLevel;
  /** Port of the worker's own /metrics; 0 (the default) serves none. */
  metricsPort: number;
  /** Address the worker's /metrics listens on (loopback unless told otherwise). */
  metricsHost: string;
  /**
   * Hosts, addresses and CIDR ranges the `http_request` type may reach although they are
   * loopback, private or link-local (`*`: any); empty refuses them all.
   */
  allowHttpHosts: string[];
}

export function resolveWorkerConfig(flags: WorkerFlags, env: Env = process.env, fallbackId = 'worker'): WorkerConfig {
  const queues = (pick(flags.queues, env, 'NUCLEUS_QUEUES') ?? 'default').split(',').map((q) => q.trim()).filter(Boolean).map((q) => parseName(q, '--queues'));
  return {
    id: parseName(pick(flags.id, env, 'NUCLEUS_WORKER_ID') ?? fallbackId, '--id'),
    master: pick(flags.master, env, 'NUCLEUS_MASTER') ?? DEFAULT_MASTER,
    concurrency: intSetting(pick(flags.concurrency, env, 'NUCLEUS_CONCURRENCY'), 4, '--concurrency', 1, 1024),
    queues: queues.length > 0 ? queues : ['default'],
    handlersPath: pick(flags.handlers, env, 'NUCLEUS_HANDLERS') ?? null,
    allowExec: (pick(flags['allow-exec'], env, 'NUCLEUS_ALLOW_EXEC') ?? '').split(',').map((p) => p.trim()).filter(Boolean),
    graceMs: durationSetting(pick(flags.grace, env, 'NUCLEUS_GRACE'), 30_000, '--grace', true),
    logLevel: logLevel(pick(flags['log-level'], env, 'NUCLEUS_LOG_LEVEL')),
    metricsPort: intSetting(pick(flags['metrics-port'], env, 'NUCLEUS_METRICS_PORT'), 0, '--metrics-port', 0, 65535),
    metricsHost: pick(flags['metrics-host'], env, 'NUCLEUS_METRICS_HOST') ?? DEFAULT_MASTER_HOST,
    allowHttpHosts: parseAllowList(pick(flags['allow-http-hosts'], env, 'NUCLEUS_ALLOW_HTTP_HOSTS') ?? '', '--allow-http-hosts'),
    isolation: isolationSetting(pick(flags.isolation, env, 'NUCLEUS_ISOLATION')),
    ...resolveClientSecurity(flags, env),
  };
}

export interface ClientConfig extends ClientSecurity {
  master: string;
  timeoutMs: number;
}

export function resolveClientConfig(flags: { master?: string; timeout?: string } & ClientSecurityFlags, env: Env = process.env): ClientConfig {
  return {
    ...resolveClientSecurity(flags, env),
    master: pick(flags.master, env, 'NUCLEUS_MASTER') ?? DEFAULT_MASTER,
    timeoutMs: durationSetting(pick(flags.timeout, env, 'NUCLEUS_RPC_TIMEOUT'), 10_000, '--rpc-timeout'),
  };
}

/** Whether output should be colourful/interactive; tests and CI set CI=true. */
export function isInteractive(env: Env = process.env): boolean {
  return Boolean(process.stdout.isTTY) && !env.CI;
}
