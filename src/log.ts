/**
 * Structured logs: JSON lines on stderr (pino), or one readable line per event when stderr is a
 * terminal. Payloads are never logged.
 */
import { pino, type Logger as PinoLogger } from 'pino';
import pinoPretty from 'pino-pretty';

export type Logger = PinoLogger;
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export interface LogOptions {
  level: LogLevel;
  /** Readable lines instead of JSON; defaults to whether stderr is a terminal. */
  pretty?: boolean;
  name?: string;
}

export function createLogger(options: LogOptions): Logger {
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  if (pretty) {
    // A stream in this thread, not a worker-thread transport: a transport loads its target from
    // node_modules by path, which the single-file build does not have; and a person reading a
    // terminal does not need log formatting off the main thread.
    return pino(
      { level: options.level, name: options.name },
      pinoPretty({ destination: 2, sync: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }),
    );
  }
  return pino({ level: options.level, name: options.name, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
}

/** A logger that drops everything; for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
