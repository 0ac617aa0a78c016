/**
 * The code that runs inside an isolated handler's thread or child process, as source text: it
 * travels as `eval` code to a worker thread and as `-e` code to a child Node, so it needs no file
 * of its own on disk (in the single executable too). It loads the user's handler module, tells
 * the parent which job types it serves, then runs one job at a time.
 *
 * Messages from the parent: {kind:'run', id, type, payload, ctx} and {kind:'abort', id, reason}.
 * To the parent: {kind:'ready', types}, {kind:'load-error', message}, {kind:'done', id, value},
 * {kind:'failed', id, error:{name, message, stack, retryable}}, {kind:'progress', id, percent,
 * message} and {kind:'log', id, level, bindings, args}.
 */
export const RUNNER_SOURCE = String.raw`
'use strict';
const wt = require('node:worker_threads');
const inThread = !wt.isMainThread;
const send = inThread ? (m) => wt.parentPort.postMessage(m) : (m) => process.send(m);
const onMessage = (f) => (inThread ? wt.parentPort.on('message', f) : process.on('message', f));
const moduleUrl = inThread ? wt.workerData.moduleUrl : process.argv[process.argv.length - 1];
if (!inThread) process.on('disconnect', () => process.exit(0));
const DEFINED = Symbol.for('nucleus.definedHandler');
// In the single executable there is no 'nucleus' package on disk: a handler module that imports
// it gets the handler-side exports from here instead (module.registerHooks, Node 22.15 and later).
const shim = inThread ? wt.workerData.nucleusShim : null;
if (shim && typeof require('node:module').registerHooks === 'function') {
  require('node:module').registerHooks({
    resolve: (specifier, context, next) => (specifier === 'nucleus' ? { url: 'nucleus:handler-api', shortCircuit: true } : next(specifier, context)),
    load: (url, context, next) => (url === 'nucleus:handler-api' ? { format: 'module', source: shim, shortCircuit: true } : next(url, context)),
  });
}
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
function logger(id, bindings) {
  const l = { child: (more) => logger(id, Object.assign({}, bindings, more)) };
  for (const level of LEVELS) l[level] = (...args) => { try { send({ kind: 'log', id, level, bindings, args }); } catch {} };
  return l;
}
function errorOf(e) {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack || '', retryable: e.retryable === false ? false : undefined };
  return { name: 'Error', message: String(e), stack: '' };
}
const running = new Map();
import(moduleUrl).then((m) => {
  const exported = m.default && typeof m.default === 'object' ? m.default : m;
  const handlers = {};
  for (const [name, fn] of Object.entries(exported)) {
    if (typeof fn !== 'function') continue;
    handlers[fn[DEFINED] === true ? fn.type : name] = fn;
  }
  onMessage(async (msg) => {
    if (msg.kind === 'abort') {
      const c = running.get(msg.id);
      if (c) c.abort(new Error(msg.reason));
      return;
    }
    if (msg.kind !== 'run') return;
    const controller = new AbortController();
    running.set(msg.id, controller);
    const ctx = Object.assign({}, msg.ctx, {
      signal: controller.signal,
      progress: (percent, message) => send({ kind: 'progress', id: msg.id, percent, message }),
      logger: logger(msg.id, { job: msg.ctx.jobId, attempt: msg.ctx.attempt }),
    });
    try {
      const value = await handlers[msg.type](msg.payload, ctx);
      try {
        send({ kind: 'done', id: msg.id, value });
      } catch (e) {
        send({ kind: 'failed', id: msg.id, error: { name: 'NonRetryableError', message: 'the handler returned a value that cannot leave its ' + (inThread ? 'thread' : 'process') + ' (' + e.message + ')', stack: '' } });
      }
    } catch (e) {
      send({ kind: 'failed', id: msg.id, error: errorOf(e) });
    } finally {
      running.delete(msg.id);
    }
  });
  send({ kind: 'ready', types: Object.keys(handlers) });
}, (e) => send({ kind: 'load-error', message: e && e.message ? e.message : String(e) }));
`;

/**
 * What a handler module may import from 'nucleus' when no package is installed (the single
 * executable): defineHandler and the two errors, standalone. It behaves as lib/define-handler.ts
 * and handlers/handler.ts do (the worker recognises both by the shared symbol and by name).
 */
export const HANDLER_API_SOURCE = String.raw`
export class NonRetryableError extends Error { name = 'NonRetryableError'; }
export class PayloadError extends NonRetryableError { name = 'PayloadError'; }
const DEFINED = Symbol.for('nucleus.definedHandler');
export function defineHandler({ type, schema, run }) {
  const parse = (payload) => {
    const parsed = schema.safeParse(payload);
    if (parsed.success) return parsed.data;
    const issues = parsed.error.issues.slice(0, 5).map((i) => (i.path.length ? i.path.map(String).join('.') : '(payload)') + ': ' + i.message);
    throw new PayloadError('payload of ' + type + ': ' + issues.join('; '));
  };
  const handler = async (payload, context) => run(parse(payload), context);
  return Object.assign(handler, { type, schema, run, parse, [DEFINED]: true });
}
`;
