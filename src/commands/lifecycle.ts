/**
 * Shared by the long-running commands: run until SIGINT/SIGTERM, then stop in order. A second
 * signal exits at once.
 */
import { createLogger, type Logger, type LogLevel } from '../log.js';
import { reportError } from './base.js';
import type { Command } from '@oclif/core';

export async function runUntilSignal(stop: () => Promise<void>, logger: Logger): Promise<void> {
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(130);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      stop().then(resolve, (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export function roleLogger(level: LogLevel, name: string): Logger {
  return createLogger({ level, name });
}

/**
 * Long-running commands report start-up errors as one line too, and then end the process: a
 * half-started role (a listener, a timer of a library) must not keep a failed command alive.
 */
export function failStartup(command: Command, error: unknown): never {
  reportError(command, error, false);
  process.exit(process.exitCode ?? 1);
}
