// Shared by the bench scripts: paths, clocks, machine facts, /proc sampling (memory peaks and
// the CPU used by processes outside the benchmark), a quiet-machine gate, child processes of the
// built CLI, and dated result files. The scripts need a built CLI (`npm run build`).
import { execFileSync, fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'run.js');
export const RESULTS = path.join(ROOT, 'bench', 'results');
const TAP = path.join(ROOT, 'bench', 'lib', 'worker-tap.mjs');

if (!fs.existsSync(path.join(ROOT, 'dist', 'commands', 'index.js'))) {
  console.error('the CLI is not built: run `npm run build` first');
  process.exit(2);
}
export const { MasterClient } = await import(path.join(ROOT, 'dist', 'rpc', 'client.js'));
export const { summarize, minMedianMax } = await import(path.join(ROOT, 'dist', 'bench', 'stats.js'));

/** Wall-clock ms with sub-ms resolution, comparable across processes on one machine. */
export const nowMs = () => performance.timeOrigin + performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function argv(defaults) {
  const a = process.argv.slice(2);
  const out = { ...defaults };
  for (const key of Object.keys(defaults)) {
    const i = a.indexOf(`--${key}`);
    if (i >= 0) out[key] = typeof defaults[key] === 'number' ? Number(a[i + 1]) : a[i + 1];
  }
  return out;
}

export function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? '',
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    nice: os.getPriority(),
    loadavgAtStart: os.loadavg(),
    code: code(),
  };
}

/** Which code was measured: the commit, whether the tree had changes, and when dist/ was built. */
export function code() {
  const git = (...args) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const changed = git('status', '--porcelain', '--untracked-files=no', '--', 'src');
  return {
    commit: git('rev-parse', '--short', 'HEAD'),
    srcChanged: changed === null ? null : changed.length > 0,
    distBuiltAt: fs.statSync(path.join(ROOT, 'dist', 'commands', 'index.js')).mtime.toISOString(),
  };
}

// ---------------------------------------------------------------- /proc

export function statusKb(pid, key) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function procTicks(pid) {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

export function systemTicks() {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { busy: user + nice + system, total: user + nice + system + idle + (iowait || 0) + (irq || 0) + (softirq || 0) + (steal || 0) };
}

/**
 * Samples named processes every `everyMs`: peak RSS of each, and the CPU they used, so that the
 * CPU used by everything else on the machine during the window ("foreign") can be reported.
 */
export class Sampler {
  constructor(everyMs = 100) {
    this.everyMs = everyMs;
    this.targets = new Map();
    this.peaks = {};
    this.cpu = new Map();
    this.series = [];
  }
  add(name, pid) {
    this.targets.set(name, pid);
    this.peaks[name] ??= 0;
    if (!this.cpu.has(pid)) this.cpu.set(pid, [0, procTicks(pid) ?? 0]);
  }
  remove(name) {
    this.targets.delete(name);
  }
  /** A process' final CPU ticks, for one that exits before the last sample. */
  finalTicks(pid, ticks) {
    const e = this.cpu.get(pid);
    if (e) e[1] = Math.max(e[1], ticks);
  }
  sample() {
    for (const [name, pid] of this.targets) {
      const rss = statusKb(pid, 'VmRSS');
      if (rss > this.peaks[name]) this.peaks[name] = rss;
      const t = procTicks(pid);
      const e = this.cpu.get(pid);
      if (t !== null && e) e[1] = Math.max(e[1], t);
    }
  }
  start() {
    this.sys0 = systemTicks();
    this.self0 = process.cpuUsage();
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }
  stop() {
    clearInterval(this.timer);
    this.sample();
    const sys = systemTicks();
    let ours = 0;
    for (const [, [a, b]] of this.cpu) ours += b - a;
    const self = process.cpuUsage(this.self0);
    ours += (self.user + self.system) / 1e4;
    const busy = sys.busy - this.sys0.busy;
    const total = sys.total - this.sys0.total;
    return {
      peakRssMiB: Object.fromEntries(Object.entries(this.peaks).map(([k, v]) => [k, v / 1024])),
      cpu: { machineBusyPct: (100 * busy) / total, benchBusyPct: (100 * ours) / total, foreignBusyPct: (100 * Math.max(0, busy - ours)) / total },
    };
  }
}

/** Waits (bounded) until the machine's CPU is below `pct` % for two 2 s windows in a row. */
export async function waitQuiet(pct = 8, maxWaitMs = 30_000) {
  const start = Date.now();
  let quiet = 0;
  let busyPct = NaN;
  while (Date.now() - start < maxWaitMs) {
    const a = systemTicks();
    await sleep(2000);
    const b = systemTicks();
    busyPct = (100 * (b.busy - a.busy)) / (b.total - a.total);
    quiet = busyPct < pct ? quiet + 1 : 0;
    if (quiet >= 2) return { waitedMs: Date.now() - start, busyPct, quiet: true };
  }
  return { waitedMs: Date.now() - start, busyPct, quiet: false };
}

/**
 * Runs a step until its window saw at most `foreignMax` % CPU from other processes (at most
 * `attempts` times); otherwise keeps the least contaminated attempt and flags it.
 */
export async function guarded(label, fn, { foreignMax = 8, attempts = 4, quietPct = 8, quietWaitMs = 30_000, log = console.error } = {}) {
  const tries = [];
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const gate = await waitQuiet(quietPct, quietWaitMs);
    const r = await fn();
    r.gate = gate;
    r.attempt = attempt;
    if (r.cpu.foreignBusyPct <= foreignMax) {
      r.discarded = tries.map(brief);
      return r;
    }
    log(`${label}: other processes used ${r.cpu.foreignBusyPct.toFixed(0)}% CPU (attempt ${attempt}/${attempts})`);
    tries.push(r);
  }
  tries.sort((a, b) => a.cpu.foreignBusyPct - b.cpu.foreignBusyPct);
  const best = tries.shift();
  best.contaminated = true;
  best.discarded = tries.map(brief);
  return best;
}
const brief = (r) => ({ attempt: r.attempt, foreignBusyPct: r.cpu.foreignBusyPct });

// ---------------------------------------------------------------- child processes

/**
 * Spawns the built CLI. With `tap`, the worker observation tap is preloaded (see worker-tap.mjs)
 * and an IPC channel is opened to talk to it.
 */
export function spawnCli(args, { tap = false, env } = {}) {
  const nodeArgs = [...profileArgs(args[0]), ...(tap ? ['--import', TAP] : [])];
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe', ...(tap ? ['ipc'] : [])], env: env ? { ...process.env, ...env } : process.env });
  return wrap(child);
}

/** Forks a bench script (producer) with an IPC channel. */
export function forkScript(file, payload) {
  return wrap(fork(file, [JSON.stringify(payload)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: profileArgs(path.basename(file, '.mjs')) }));
}

/**
 * With BENCH_CPU_PROF=<dir>, every child writes a V8 CPU profile when it exits, into
 * <dir>/<role>/ (role: master, worker, dev, producer); summarise one with `node bench/profile-summary.mjs <file>`.
 */
function profileArgs(role) {
  const dir = process.env.BENCH_CPU_PROF;
  const interval = process.env.BENCH_CPU_PROF_INTERVAL; // µs between samples (V8's default: 1000)
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, role)}`, ...(interval ? [`--cpu-prof-interval=${interval}`] : [])] : [];
}

function wrap(child) {
  let out = '';
  let err = '';
  child.stdout?.on('data', (c) => (out = (out + c).slice(-8192)));
  child.stderr?.on('data', (c) => (err = (err + c).slice(-8192)));
  const inbox = [];
  const waiting = [];
  child.on('message', (m) => {
    const i = waiting.findIndex((w) => w.type === m.type);
    if (i >= 0) waiting.splice(i, 1)[0].resolve(m);
    else inbox.push(m);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const api = {
    child,
    pid: child.pid,
    stdout: () => out,
    stderr: () => err,
    exited,
    send: (m) => child.send(m),
    /** The next IPC message of `type`. */
    message(type, timeoutMs = 150_000) {
      const have = inbox.findIndex((m) => m.type === type);
      if (have >= 0) return Promise.resolve(inbox.splice(have, 1)[0]);
      return new Promise((resolve, reject) => {
        const w = { type, resolve: (m) => (clearTimeout(timer), resolve(m)) };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(w), 1);
          reject(new Error(`no "${type}" message within ${timeoutMs} ms; stderr: ${err.slice(-500)}`));
        }, timeoutMs);
        waiting.push(w);
        exited.then(({ code, signal }) => {
          if (!waiting.includes(w)) return;
          waiting.splice(waiting.indexOf(w), 1);
          clearTimeout(timer);
          reject(new Error(`exited (${signal ?? code}) before "${type}"; stderr: ${err.slice(-500)}`));
        });
      });
    },
    /** Resolves with the first match of `re` in stdout+stderr. */
    async line(re, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = re.exec(out + err);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no line ${re} (exit ${child.exitCode}); output: ${(out + err).slice(-500)}`);
        await sleep(20);
      }
    },
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
  return api;
}

/** Polls `check` until truthy or the deadline passes. */
export async function until(check, what, timeoutMs = 15_000, everyMs = 20) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------- results

/** Writes bench/results/<date>T<time>-<name>.json and .md; returns their paths. */
export function writeResults(name, json, markdown) {
  fs.mkdirSync(RESULTS, { recursive: true });
  const stamp = new Date().toISOString().slice(0, 16).replace(':', '');
  const base = path.join(RESULTS, `${stamp}-${name}`);
  fs.writeFileSync(`${base}.json`, `${JSON.stringify(json, null, 2)}\n`);
  if (markdown) fs.writeFileSync(`${base}.md`, markdown);
  return { json: `${base}.json`, md: markdown ? `${base}.md` : null };
}

export const fmt = (x, digits = 0) => (Number.isFinite(x) ? (digits ? x.toFixed(digits) : Math.round(x).toLocaleString('en-US')) : '–');
export const f1 = (x) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US')) : '–');
/** `median (min–max)` of a minMedianMax() result. */
export const mmm = (a, f = fmt) => (a && a.n ? (a.n > 1 ? `${f(a.median)} (${f(a.min)}–${f(a.max)})` : f(a.median)) : '–');
