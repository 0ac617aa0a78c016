/**
 * The built-in job types. Each checks its payload against a schema and fails without retry
 * (PayloadError) when it does not fit, naming the field.
 */
import { z } from 'zod';
import { setTimeout as sleep } from 'node:timers/promises';
import { NonRetryableError, PayloadError, type HandlerMap } from './handler.js';

export const FIBONACCI_MAX_N = 10_000;
export const SLEEP_MAX_SECONDS = 86_400;

/** Parses `payload` with `schema` or throws a PayloadError naming the first bad field. */
export function parsePayload<T>(schema: z.ZodType<T>, payload: unknown, hint: string): T {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = ['payload', ...issue.path.map(String)].join('.');
  throw new PayloadError(`${path}: ${issue.message} (expected ${hint})`);
}

const fibonacciSchema = z.union([
  z.number().int().min(0).max(FIBONACCI_MAX_N),
  z.object({ n: z.number().int().min(0).max(FIBONACCI_MAX_N) }).transform((o) => o.n),
]);

/** Exact Fibonacci number as a decimal string (BigInt). */
export function fibonacci(n: number): string {
  let a = 0n;
  let b = 1n;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a.toString();
}

const sleepSchema = z.object({ duration: z.number().min(0).max(SLEEP_MAX_SECONDS) });

const mathSchema = z.object({
  operation: z.enum(['add', 'sub', 'mul', 'div', 'pow']),
  a: z.number(),
  b: z.number(),
});

const randomFailureSchema = z.object({ failure_rate: z.number().min(0).max(1) });

export const builtinHandlers: HandlerMap = {
  noop: () => null,
  echo: (payload) => payload,
  fibonacci: (payload) => fibonacci(parsePayload(fibonacciSchema, payload, `an integer n from 0 to ${FIBONACCI_MAX_N}, or {"n": n}`)),
  sleep: async (payload, ctx) => {
    const { duration } = parsePayload(sleepSchema, payload, `{"duration": seconds from 0 to ${SLEEP_MAX_SECONDS}}`);
    const ms = duration * 1000;
    const step = Math.max(100, ms / 10);
    for (let done = 0; done < ms; done += step) {
      await sleep(Math.min(step, ms - done), undefined, { signal: ctx.signal });
      ctx.progress(Math.min(100, ((done + step) / ms) * 100));
    }
    return { slept: duration };
  },
  math: (payload) => {
    const { operation, a, b } = parsePayload(mathSchema, payload, '{"operation": "add|sub|mul|div|pow", "a": number, "b": number}');
    if (operation === 'div' && b === 0) throw new NonRetryableError('division by zero');
    const value = { add: a + b, sub: a - b, mul: a * b, div: a / b, pow: a ** b }[operation];
    if (!Number.isFinite(value)) throw new NonRetryableError(`${operation}(${a}, ${b}) is not a finite number`);
    return value;
  },
  random_failure: (payload) => {
    const { failure_rate } = parsePayload(randomFailureSchema, payload, '{"failure_rate": number from 0 to 1}');
    if (Math.random() < failure_rate) throw new Error(`random failure (rate ${failure_rate})`);
    return { ok: true };
  },
};
