import { Flags } from '@oclif/core';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { NucleusCommand } from './usage.js';
import { failStartup, roleLogger, runUntilSignal } from './lifecycle.js';
import { LOG_LEVELS, type LogLevel } from '../log.js';
import { DEFAULT_MASTER } from '../rpc/client.js';

export class Dev extends NucleusCommand {
  static override summary = 'Run a master and workers in one process, for a first try and local development.';
  static override description = EXIT_CODES_HELP;
  static override examples = ['<%= config.bin %> dev', '<%= config.bin %> dev --demo', '<%= config.bin %> dev --workers 4 --db ./dev.db --handlers ./handlers.mjs'];
  static override flags = {
    port: Flags.integer({ summary: 'gRPC port.', default: 50051, min: 0, max: 65535 }),
    'http-port': Flags.integer({ summary: 'HTTP port; 0 disables it.', default: 8000, min: 0, max: 65535 }),
    db: Flags.string({ summary: 'SQLite file. Default: a new temporary file.' }),
    workers: Flags.integer({ summary: 'Workers to start.', default: 2, min: 0, max: 64 }),
    concurrency: Flags.integer({ char: 'c', summary: 'Concurrency of each worker.', default: 4, min: 1, max: 1024 }),
    handlers: Flags.string({ summary: 'Module with your own handlers.' }),
    demo: Flags.boolean({ summary: 'Submit a few jobs, print their results, and stop.' }),
    'log-level': Flags.string({ summary: 'Log level.', default: 'warn', options: [...LOG_LEVELS] }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Dev);
    const logger = roleLogger(flags['log-level'] as LogLevel, 'dev');
    // Loaded on run: every command's module is loaded to list it.
    const { startDev, runDemo } = await import('../services/dev.js');
    const { httpGateway } = await import('../http/plugin.js');
    let cluster;
    try {
      cluster = await startDev(
        { port: flags.port, httpPort: flags['http-port'], db: flags.db, workers: flags.workers, concurrency: flags.concurrency, handlersPath: flags.handlers ?? null, http: httpGateway },
        logger,
      );
    } catch (error) {
      return failStartup(this, error);
    }
    const http = cluster.running.httpPort ? `, HTTP http://127.0.0.1:${cluster.running.httpPort}` : '';
    process.stdout.write(`nucleus dev: master on ${cluster.address}${http}, ${flags.workers} workers, store ${cluster.dbPath}\n`);
    if (flags.demo) {
      try {
        for (const r of await runDemo(cluster.address)) {
          process.stdout.write(`${r.command}\n  job ${r.id} ${r.status} in ${r.ms} ms: ${JSON.stringify(r.result)}\n`);
        }
      } finally {
        await cluster.stop();
      }
      return;
    }
    const stopped = runUntilSignal(cluster.stop, logger);
    // The hint must work as written: off the default port, a client needs --master to find it.
    const master = cluster.address === DEFAULT_MASTER ? '' : ` --master ${cluster.address}`;
    process.stdout.write(`try: nucleus submit fibonacci 30 --wait${master}   (Ctrl-C stops)\n`);
    await stopped;
  }
}
