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

function errorLine(value: unknown): string {
  const e = value as { type?: string; message?: string; code?: string } | null;
  if (!e || typeof e !== 'object') return String(value);
  return `${e.type ?? 'Error'}${e.code ? ` ${e.code}` : ''}: ${String(e.message ?? '').replace(/\s*\n\s*/g, ' ')}`;
}

export function createLogger(options: LogOptions): Logger {
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  if (pretty) {
    // A stream in this thread, not a worker-thread transport: a transport loads its target from
    // node_modules by path, which the single-file build does not have; and a person reading a
    // terminal does not need log formatting off the main thread.
    return pino(
      { level: options.level, name: options.name },
      pinoPretty({
        destination: 2,
        sync: true,
        translateTime: 'HH:MM:ss.l',
        ignore: 'pid,hostname,err',
        // One line per event, as the README promises: fields inline, and an error as its message
        // after the event's (the stack is in the JSON logs, which a pipe or file gets).
        singleLine: true,
        messageFormat: (log, messageKey) => `${String(log[messageKey] ?? '')}${log.err ? ` (${errorLine(log.err)})` : ''}`,
      }),
    );
  }
  return pino({ level: options.level, name: options.name, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
}

/** A logger that drops everything; for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
