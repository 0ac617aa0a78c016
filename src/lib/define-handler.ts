/**
 * Typed handlers: `defineHandler({ type, schema, run })` pairs a job type with a zod schema, so
 * that `run` gets a typed payload that has been validated, and `client.submit(handler, payload)`
 * checks the payload at compile time and against the schema before it is sent.
 *
 * What it returns is itself a handler function (it validates, then calls `run`), so it fits a
 * handler map and a `--handlers` module as it is; its `type` says which job type it serves.
 */
import type { z } from 'zod';
import { PayloadError, type Handler, type HandlerContext, type HandlerMap } from '../handlers/handler.js';

export interface HandlerDefinition<T extends string, S extends z.ZodType, R> {
  /** The job type this handler serves. */
  type: T;
  /** What a payload must look like; checked before `run` and before `client.submit` sends it. */
  schema: S;
  run: (payload: z.output<S>, context: HandlerContext) => R | Promise<R>;
}

/** A handler made by defineHandler: callable as a plain handler, with its definition attached. */
export interface DefinedHandler<T extends string = string, S extends z.ZodType = z.ZodType, R = unknown> extends Handler {
  (payload: unknown, context: HandlerContext): Promise<R>;
  readonly type: T;
  readonly schema: S;
  readonly run: (payload: z.output<S>, context: HandlerContext) => R | Promise<R>;
  /** Validates a payload as the worker will; throws PayloadError naming the fields at fault. */
  parse(payload: unknown): z.output<S>;
}

/** What `client.submit(handler, payload)` accepts for this handler. */
export type PayloadOf<H> = H extends DefinedHandler<string, infer S, unknown> ? z.input<S> : never;
/** What this handler's jobs return. */
export type ResultOf<H> = H extends DefinedHandler<string, z.ZodType, infer R> ? Awaited<R> : unknown;

const DEFINED = Symbol.for('nucleus.definedHandler');

export function defineHandler<T extends string, S extends z.ZodType, R>(definition: HandlerDefinition<T, S, R>): DefinedHandler<T, S, R> {
  const { type, schema, run } = definition;
  if (typeof type !== 'string' || type.length === 0) throw new TypeError('defineHandler: type must be a non-empty string');
  if (typeof schema?.safeParse !== 'function') throw new TypeError(`defineHandler(${type}): schema must be a zod schema`);
  if (typeof run !== 'function') throw new TypeError(`defineHandler(${type}): run must be a function`);
  const parse = (payload: unknown): z.output<S> => {
    const parsed = schema.safeParse(payload);
    if (parsed.success) return parsed.data as z.output<S>;
    throw new PayloadError(`payload of ${type}: ${describeIssues(parsed.error.issues)}`);
  };
  const handler = async (payload: unknown, context: HandlerContext): Promise<R> => run(parse(payload), context);
  return Object.assign(handler, { type, schema, run, parse, [DEFINED]: true }) as unknown as DefinedHandler<T, S, R>;
}

export function isDefinedHandler(value: unknown): value is DefinedHandler {
  return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[DEFINED] === true;
}

/** A list of defined handlers (or a map) as a handler map keyed by job type. */
export function toHandlerMap(handlers: HandlerMap | readonly DefinedHandler[]): HandlerMap {
  if (!Array.isArray(handlers)) return handlers as HandlerMap;
  const map: HandlerMap = {};
  for (const h of handlers as readonly DefinedHandler[]) {
    if (!isDefinedHandler(h)) throw new TypeError('handlers: a list must hold handlers made by defineHandler (or pass a map { type: fn })');
    if (map[h.type]) throw new TypeError(`handlers: two handlers for the job type "${h.type}"`);
    map[h.type] = h;
  }
  return map;
}

function describeIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(payload)'}: ${i.message}`)
    .join('; ');
}
