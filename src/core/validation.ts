/**
 * Validation of everything a client sends, before anything is written. Errors name the field and
 * the limit (`job.priority: must be an integer from 0 to 10 (got 11)`). Schemas are zod's; the
 * messages are ours.
 */
import { z } from 'zod';
import { ErrorCode, NucleusError, invalidArgument } from '../errors.js';
import { initialStatus } from './state-machine.js';
import { JOB_LIMITS, isJobStatus, type JobStatus, type NewJob } from './job.js';

/** A job as a client describes it; unset numbers are 0/undefined, as on the wire. */
export interface JobSpecInput {
  type: string;
  payload?: Uint8Array;
  contentType?: string;
  queue?: string;
  priority?: number;
  maxRetries?: number;
  timeoutMs?: number;
  runAtMs?: number;
  delayMs?: number;
  idempotencyKey?: string;
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

export interface SpecLimits {
  maxPayloadBytes: number;
  defaultTimeoutMs: number;
}

const NAME = /^[A-Za-z0-9_.:-]+$/;

const got = (input: unknown): string => {
  const text = typeof input === 'string' ? JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input) : String(input);
  return ` (got ${text})`;
};

/** A name: queue, job type, worker id. */
export const nameSchema = z
  .string()
  .min(1, { error: 'must not be empty' })
  .max(JOB_LIMITS.maxNameLength, { error: `must be at most ${JOB_LIMITS.maxNameLength} characters` })
  .regex(NAME, { error: (issue) => `must use only letters, digits and _ . : -${got(issue.input)}` });

const intIn = (min: number, max: number, unit = '') =>
  z
    .number()
    .refine((n) => Number.isSafeInteger(n) && n >= min && n <= max, {
      error: (issue) => `must be an integer from ${min} to ${max}${unit}${got(issue.input)}`,
    });

const specSchema = z.object({
  type: nameSchema,
  contentType: z.string().max(JOB_LIMITS.maxContentTypeLength, { error: `must be at most ${JOB_LIMITS.maxContentTypeLength} characters` }).optional(),
  queue: nameSchema.optional(),
  priority: intIn(JOB_LIMITS.minPriority, JOB_LIMITS.maxPriority).optional(),
  maxRetries: intIn(0, JOB_LIMITS.maxMaxRetries).optional(),
  timeoutMs: intIn(0, JOB_LIMITS.maxTimeoutMs, ' ms').optional(),
  runAtMs: intIn(0, 8_640_000_000_000_000, ' ms since the epoch').optional(),
  delayMs: intIn(0, JOB_LIMITS.maxDelayMs, ' ms').optional(),
  idempotencyKey: z
    .string()
    .max(JOB_LIMITS.maxIdempotencyKeyLength, {
      error: `must be at most ${JOB_LIMITS.maxIdempotencyKeyLength} characters`,
    })
    .optional(),
  backoffBaseMs: intIn(0, JOB_LIMITS.maxTimeoutMs, ' ms').optional(),
  backoffCapMs: intIn(0, JOB_LIMITS.maxDelayMs, ' ms').optional(),
});

type ParsedSpec = z.infer<typeof specSchema>;

/**
 * The last spec that passed, field by field (payload aside, which is checked on its own). Jobs of
 * a batch usually differ only in their payload, so the next one with the same fields reuses the
 * schema's answer instead of parsing again (about 1.5 µs per job, a sixth of a master's work per
 * submitted job). Only a spec that passed is remembered, so an invalid one is always parsed.
 */
let lastPassed: ParsedSpec | null = null;

const sameFields = (a: JobSpecInput, b: ParsedSpec): boolean =>
  a.type === b.type &&
  a.contentType === b.contentType &&
  a.queue === b.queue &&
  a.priority === b.priority &&
  a.maxRetries === b.maxRetries &&
  a.timeoutMs === b.timeoutMs &&
  a.runAtMs === b.runAtMs &&
  a.delayMs === b.delayMs &&
  a.idempotencyKey === b.idempotencyKey &&
  a.backoffBaseMs === b.backoffBaseMs &&
  a.backoffCapMs === b.backoffCapMs;

function parseSpec(input: JobSpecInput, field: string): ParsedSpec {
  if (lastPassed && sameFields(input, lastPassed)) return lastPassed;
  const parsed = specSchema.safeParse(input);
  if (!parsed.success) throw zodError(field, parsed.error);
  lastPassed = parsed.data;
  return parsed.data;
}

/** Turns zod's first issue into our INVALID_ARGUMENT with the field path. */
const snakeCase = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function zodError(prefix: string, error: z.ZodError): NucleusError {
  const issue = error.issues[0];
  // Fields are named as on the wire (proto and REST): snake_case.
  const path = [prefix, ...issue.path.map((p) => snakeCase(String(p)))].filter(Boolean).join('.');
  const message = issue.code === 'invalid_type' ? `is required and must be a ${issue.expected}` : issue.message;
  return invalidArgument(path, message);
}

/**
 * Checks a job spec and fills in the defaults. `field` names it in errors (`job`, `jobs[3]`).
 * Throws INVALID_ARGUMENT, or RESOURCE_EXHAUSTED for a payload over the limit.
 */
export function validateJobSpec(input: JobSpecInput, now: number, limits: SpecLimits, field = 'job'): NewJob {
  const spec = parseSpec(input, field);
  const payload = input.payload ?? new Uint8Array();
  if (payload.byteLength > limits.maxPayloadBytes) {
    throw new NucleusError(
      ErrorCode.ResourceExhausted,
      `${field}.payload: ${payload.byteLength} bytes is over the limit of ${limits.maxPayloadBytes} bytes (--max-payload)`,
    );
  }
  const baseMs = spec.backoffBaseMs || JOB_LIMITS.defaultBackoffBaseMs;
  const capMs = spec.backoffCapMs || JOB_LIMITS.defaultBackoffCapMs;
  if (capMs < baseMs) throw invalidArgument(`${field}.backoff_cap_ms`, `must not be below backoff_base_ms (${baseMs} ms)`);
  const runAt = spec.runAtMs ? spec.runAtMs : now + (spec.delayMs ?? 0);
  if (runAt - now > JOB_LIMITS.maxDelayMs) {
    throw invalidArgument(`${field}.run_at_ms`, `must be at most ${JOB_LIMITS.maxDelayMs / 86_400_000} days ahead`);
  }
  return {
    queue: spec.queue || JOB_LIMITS.defaultQueue,
    type: spec.type,
    payload,
    contentType: spec.contentType || JOB_LIMITS.defaultContentType,
    priority: spec.priority ?? JOB_LIMITS.defaultPriority,
    maxRetries: spec.maxRetries ?? JOB_LIMITS.defaultMaxRetries,
    timeoutMs: spec.timeoutMs || limits.defaultTimeoutMs,
    runAt: initialStatus(runAt, now) === 'queued' ? Math.min(runAt, now) : runAt,
    idempotencyKey: spec.idempotencyKey || null,
    backoffBaseMs: baseMs,
    backoffCapMs: capMs,
  };
}

/** Job ids are positive 64-bit integers written in decimal. */
export function parseJobId(text: string, field = 'job_id'): number {
  if (!/^[1-9]\d{0,15}$/.test(text)) {
    throw invalidArgument(field, `must be a positive integer job id${got(text)}`);
  }
  const id = Number(text);
  if (!Number.isSafeInteger(id)) throw invalidArgument(field, `must be at most ${Number.MAX_SAFE_INTEGER}${got(text)}`);
  return id;
}

export function parseStatus(text: string, field = 'status'): JobStatus {
  if (!isJobStatus(text)) {
    throw invalidArgument(
      field,
      `must be one of queued, scheduled, running, retrying, completed, failed, dead_letter, cancelled${got(text)}`,
    );
  }
  return text;
}

/** Validates a name (queue, type, worker id) and returns it. */
export function parseName(text: string, field: string): string {
  const parsed = nameSchema.safeParse(text);
  if (!parsed.success) throw zodError(field, parsed.error);
  return parsed.data;
}
