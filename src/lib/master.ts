/**
 * The library's Master: `nucleus master` in your own process, configured with the command's
 * flags as typed options (`{ port: 0, 'http-port': 0, db: 'jobs.db', 'heartbeat-timeout': '10s' }`),
 * with lifecycle events (`listening`, `stopping`, `stopped`; a throwing listener is logged).
 * Environment variables are not read: options say everything.
 */
import { resolveMasterConfig, type MasterFlags } from '../config.js';
import type { RunningMaster } from '../services/master.js';
import { createLogger, type Logger } from '../log.js';
import { TypedEvents } from './events.js';

export type MasterOptions = MasterFlags & { logger?: Logger };

export interface MasterEvents {
  listening: { address: string; grpcPort: number; httpPort: number };
  stopping: Record<string, never>;
  stopped: Record<string, never>;
}

export class Master extends TypedEvents<MasterEvents> {
  private running: RunningMaster | null = null;
  private starting: Promise<{ address: string; grpcPort: number; httpPort: number }> | null = null;
  private stopping: Promise<void> | null = null;
  private readonly logger: Logger;

  constructor(private readonly options: MasterOptions = {}) {
    super(() => this.logger);
    this.logger = options.logger ?? createLogger({ level: 'warn', name: 'nucleus-master' });
  }

  /** host:port of its gRPC server, once listening. */
  get address(): string | null {
    return this.running ? `${this.options.host ?? '127.0.0.1'}:${this.running.grpcPort}` : null;
  }

  /** Opens the store and listens; rejects with one clear NucleusError (a port in use, a store in use, a bad option). */
  start(): Promise<{ address: string; grpcPort: number; httpPort: number }> {
    this.starting ??= (async () => {
      const { logger, ...flags } = this.options;
      const config = resolveMasterConfig(flags, {});
      // Loaded here, so that a program that only submits does not load SQLite and the HTTP server.
      const [{ startMaster }, { httpGateway }] = await Promise.all([import('../services/master.js'), import('../http/plugin.js')]);
      this.running = await startMaster(config, this.logger, { http: httpGateway });
      const listening = { address: this.address!, grpcPort: this.running.grpcPort, httpPort: this.running.httpPort };
      this.emit('listening', listening);
      return listening;
    })();
    return this.starting;
  }

  /** Drains (workers are told, results in flight are taken) and closes the store. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.running) return;
      this.emit('stopping', {});
      await this.running.stop();
      this.emit('stopped', {});
    })();
    return this.stopping;
  }
}
