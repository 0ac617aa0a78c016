import { Flags } from '@oclif/core';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { NucleusCommand } from './usage.js';
import { UI_MODES, isLoopback, resolveMasterConfig } from '../config.js';
import { failStartup, roleLogger, runUntilSignal } from './lifecycle.js';

export class Master extends NucleusCommand {
  static override summary = 'Run the master: the durable job store and scheduler, serving gRPC (and HTTP for metrics, health and REST).';
  static override description = EXIT_CODES_HELP;
  static override examples = ['<%= config.bin %> master', '<%= config.bin %> master --port 50051 --db ./nucleus.db --heartbeat-timeout 10s'];
  static override flags = {
    host: Flags.string({ summary: 'Address to listen on (gRPC and HTTP); 0.0.0.0 accepts every interface. Env: NUCLEUS_HOST. Default: 127.0.0.1 (this host only).' }),
    port: Flags.integer({ summary: 'gRPC port (0 picks a free one). Env: NUCLEUS_PORT. Default: 50051.', min: 0, max: 65535 }),
    'http-port': Flags.integer({ summary: 'HTTP port for /metrics, /healthz, /readyz and REST; 0 disables it. Env: NUCLEUS_HTTP_PORT. Default: 8000.', min: 0, max: 65535 }),
    db: Flags.string({ summary: 'SQLite database file. Env: NUCLEUS_DB. Default: ./nucleus.db.' }),
    sync: Flags.string({ summary: 'normal: survives a crash of the master; full: also power loss, slower. Env: NUCLEUS_SYNC. Default: normal.', options: ['normal', 'full'] }),
    'heartbeat-timeout': Flags.string({ summary: 'A worker silent this long is declared dead. Env: NUCLEUS_HEARTBEAT_TIMEOUT. Default: 10s.' }),
    'heartbeat-interval': Flags.string({ summary: 'How often workers heartbeat. Env: NUCLEUS_HEARTBEAT_INTERVAL. Default: 3s.' }),
    'default-timeout': Flags.string({ summary: 'Attempt timeout for jobs that set none. Env: NUCLEUS_DEFAULT_TIMEOUT. Default: 30s.' }),
    'max-payload': Flags.string({ summary: 'Largest payload accepted (e.g. 1MiB). Env: NUCLEUS_MAX_PAYLOAD. Default: 1MiB.' }),
    retention: Flags.string({ summary: 'Finished jobs older than this are pruned; 0 keeps them. Env: NUCLEUS_RETENTION. Default: 7d.' }),
    'idempotency-window': Flags.string({ summary: 'How long a finished job keeps its idempotency key. Env: NUCLEUS_IDEMPOTENCY_WINDOW. Default: 24h.' }),
    'log-level': Flags.string({ summary: 'trace, debug, info, warn, error or silent. Env: NUCLEUS_LOG_LEVEL. Default: info.' }),
    token: Flags.string({ summary: 'Require this token (16+ characters) on every gRPC and REST call; also the workers\' token unless --worker-token is set. Env: NUCLEUS_TOKEN. Default: none.', helpGroup: 'SECURITY' }),
    'token-file': Flags.string({ summary: 'Read the token from this file instead (keeps it out of `ps`). Env: NUCLEUS_TOKEN_FILE.', helpGroup: 'SECURITY' }),
    'worker-token': Flags.string({ summary: 'A separate token for workers: then only it may connect as a worker, and it cannot call JobService. Env: NUCLEUS_WORKER_TOKEN.', helpGroup: 'SECURITY' }),
    'worker-token-file': Flags.string({ summary: 'Read the worker token from this file instead (keeps it out of `ps`). Env: NUCLEUS_WORKER_TOKEN_FILE.', helpGroup: 'SECURITY' }),
    'protect-metrics': Flags.boolean({ summary: 'Require the token for /metrics and /readyz too (/healthz stays open). Env: NUCLEUS_PROTECT_METRICS.', helpGroup: 'SECURITY' }),
    'tls-cert': Flags.string({ summary: 'Serve TLS (gRPC and HTTP) with this certificate chain (PEM); needs --tls-key. Env: NUCLEUS_TLS_CERT.', helpGroup: 'SECURITY' }),
    'tls-key': Flags.string({ summary: 'Private key (PEM) of --tls-cert. Env: NUCLEUS_TLS_KEY.', helpGroup: 'SECURITY' }),
    'tls-client-ca': Flags.string({ summary: 'Mutual TLS: gRPC peers must present a certificate signed by this CA (PEM). Env: NUCLEUS_TLS_CLIENT_CA.', helpGroup: 'SECURITY' }),
    ui: Flags.string({ summary: 'The web dashboard on the HTTP port: full, read-only (every action hidden and refused) or off. Env: NUCLEUS_UI. Default: full.', options: [...UI_MODES], helpGroup: 'DASHBOARD' }),
    'no-ui': Flags.boolean({ summary: 'Serve no dashboard (the REST API stays); the same as --ui off.', helpGroup: 'DASHBOARD' }),
    'ui-path': Flags.string({ summary: 'Serve the dashboard under this path, e.g. /nucleus. Env: NUCLEUS_UI_PATH. Default: /.', helpGroup: 'DASHBOARD' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Master);
    let config;
    try {
      config = resolveMasterConfig(flags);
    } catch (error) {
      return failStartup(this, error);
    }
    const logger = roleLogger(config.logLevel, 'master');
    let running;
    try {
      // Loaded on run: every command's module is loaded to list it, and most never need these.
      const { startMaster } = await import('../services/master.js');
      const { httpGateway } = await import('../http/plugin.js');
      const { raiseFileLimit } = await import('../master/file-limit.js');
      const files = raiseFileLimit();
      // At debug: a start that fails must still be one line on stderr.
      logger.debug({ openFiles: { soft: files.soft, hard: files.hard, raised: files.raised, problem: files.problem } }, 'open-file limit');
      running = await startMaster(config, logger, { http: httpGateway });
    } catch (error) {
      return failStartup(this, error);
    }
    // Signals are handled before readiness is announced: a SIGTERM right after the line must
    // still close the store cleanly.
    const stopped = runUntilSignal(() => running.stop(), logger);
    if (running.master.state === 'running') {
      const reach = isLoopback(config.host) ? ' (this host only; --host 0.0.0.0 accepts other hosts)' : '';
      process.stderr.write(`nucleus master listening: gRPC ${config.host}:${running.grpcPort}${running.httpPort ? `, HTTP ${config.host}:${running.httpPort}` : ''}, store ${config.dbPath}${reach}\n`);
    }
    await stopped;
  }
}
