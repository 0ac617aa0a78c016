/**
 * System-test helpers: spawn the built CLI (`node bin/run.js <args>`) as a real process, capture
 * its output, wait for a line, send it a signal, and wait for it to exit. Every process spawned
 * here is remembered so that `killAll()` (run it in afterEach) never leaves one behind.
 *
 * The CLI must be built first (`npm run build`, which `npm test` runs as `pretest`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MasterClient } from '../../src/rpc/client.js';
import { waitFor } from './cluster.js';

/** Root of the project (where bin/run.js lives). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(PROJECT_ROOT, 'bin', 'run.js');

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned CLI process. */
export interface CliProcess {
  child: ChildProcess;
  pid: number;
  args: string[];
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout or stderr (whichever `stream` names). */
  waitForLine(pattern: RegExp, options?: { stream?: 'stdout' | 'stderr'; timeoutMs?: number }): Promise<RegExpMatchArray>;
  /** Sends a signal (no-op when the process has already exited). */
  kill(signal: NodeJS.Signals): void;
  /** Resolves when the process exits; rejects after `timeoutMs`. */
  waitForExit(timeoutMs?: number): Promise<Exit>;
  /** Set once the process has exited. */
  exit: Exit | null;
}

const spawned = new Set<CliProcess>();

/** The environment of spawned processes: no colours, no TTY tricks, logs quiet unless asked. */
function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' };
  // A NUCLEUS_* variable of the surrounding shell must not change what a test means.
  for (const name of Object.keys(env)) if (name.startsWith('NUCLEUS_')) delete env[name];
  return { ...env, ...extra };
}

/** Spawns `node bin/run.js ...args`; with `prefix`, through it (`['ip', 'netns', 'exec', ns]`, which execs in place). */
export function spawnCli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined>; prefix?: string[] } = {}): CliProcess {
  if (!existsSync(join(PROJECT_ROOT, 'dist', 'commands', 'index.js'))) {
    throw new Error('the CLI is not built: run `npm run build` before the system tests');
  }
  const [command, ...rest] = [...(options.prefix ?? []), process.execPath, BIN, ...args];
  const child = spawn(command, rest, {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: childEnv(options.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    notify();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    notify();
  });
  // 'close' (not 'exit') so that all output has been read when the exit is reported.
  const exited = new Promise<Exit>((resolveExit) => {
    child.on('close', (code, signal) => {
      proc.exit = { code, signal };
      spawned.delete(proc);
      notify();
      resolveExit(proc.exit);
    });
  });
  const proc: CliProcess = {
    child,
    pid: child.pid ?? -1,
    args,
    exit: null,
    stdout: () => out,
    stderr: () => err,
    waitForLine(pattern, { stream = 'stderr', timeoutMs = 15_000 } = {}) {
      return new Promise((resolveLine, reject) => {
        const check = () => {
          const match = (stream === 'stdout' ? out : err).match(pattern);
          if (match) return done(() => resolveLine(match));
          if (proc.exit) return done(() => reject(new Error(`${describe(proc)} exited (${JSON.stringify(proc.exit)}) before printing ${pattern}\n${tail(proc)}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern} from ${describe(proc)}\n${tail(proc)}`))), timeoutMs);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    kill(signal) {
      if (!proc.exit && child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    waitForExit(timeoutMs = 15_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${describe(proc)} did not exit within ${timeoutMs} ms\n${tail(proc)}`)), timeoutMs);
      });
      return Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
    },
  };
  spawned.add(proc);
  return proc;
}

function describe(proc: CliProcess): string {
  return `nucleus ${proc.args.join(' ')} (pid ${proc.pid})`;
}

/** The last lines of a process's output, for failure messages. */
export function tail(proc: CliProcess, lines = 15): string {
  const last = (text: string) => text.trimEnd().split('\n').slice(-lines).join('\n');
  return `--- stdout ---\n${last(proc.stdout())}\n--- stderr ---\n${last(proc.stderr())}`;
}

/** Runs a CLI command to its end and returns its exit code and output. */
export async function runCli(args: string[], options: { timeoutMs?: number; env?: Record<string, string | undefined> } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawnCli(args, { env: options.env });
  try {
    const { code } = await proc.waitForExit(options.timeoutMs ?? 20_000);
    return { code, stdout: proc.stdout(), stderr: proc.stderr() };
  } catch (error) {
    // Say what the process had printed, so that a hang can be understood.
    throw new Error(`${(error as Error).message}\n--- stdout ---\n${proc.stdout()}\n--- stderr ---\n${proc.stderr()}`);
  } finally {
    proc.kill('SIGKILL');
  }
}

/** SIGKILLs every process spawned here that is still running and waits for them to go. */
export async function killAll(): Promise<void> {
  const left = [...spawned];
  for (const proc of left) proc.kill('SIGKILL');
  await Promise.all(left.map((proc) => proc.waitForExit(5_000).catch(() => undefined)));
}

/** A port that was free a moment ago (bind port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A master process: its gRPC address, read from its "listening" line. */
export interface MasterProcess {
  proc: CliProcess;
  port: number;
  address: string;
}

/**
 * Spawns `nucleus master` on 127.0.0.1 with its store at `db`, HTTP disabled, and waits until it
 * prints where it listens. `port` 0 lets it pick one; give the old port to restart in place.
 */
export async function spawnMaster(options: { db: string; port?: number; httpPort?: number; host?: string; args?: string[] }): Promise<MasterProcess> {
  const proc = spawnCli([
    'master',
    '--host', options.host ?? '127.0.0.1',
    '--port', String(options.port ?? 0),
    '--http-port', String(options.httpPort ?? 0),
    '--db', options.db,
    '--log-level', 'warn',
    ...(options.args ?? []),
  ]);
  const match = await proc.waitForLine(/nucleus master listening: gRPC [^\s:]+:(\d+)/);
  const port = Number(match[1]);
  return { proc, port, address: `127.0.0.1:${port}` };
}

/** Spawns `nucleus worker` against `master`; use `waitForWorkers` to know it has connected. */
export function spawnWorker(options: { id: string; master: string; args?: string[] }): CliProcess {
  return spawnCli(['worker', '--id', options.id, '--master', options.master, '--log-level', 'warn', ...(options.args ?? [])]);
}

/** Waits until the master lists every worker in `ids` as alive. */
export async function waitForWorkers(client: MasterClient, ids: string[], timeoutMs = 15_000): Promise<void> {
  await waitFor(
    async () => {
      const { workers } = await client.call('getStats', {});
      const alive = new Set(workers.filter((w) => w.alive).map((w) => w.id));
      return ids.every((id) => alive.has(id));
    },
    `workers ${ids.join(', ')} to connect`,
    timeoutMs,
    50,
  );
}
