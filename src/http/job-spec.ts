/**
 * A job as a REST client writes it, in JSON, turned into the same JobSpecInput that gRPC's
 * JobSpec becomes; the master validates both the same way. Field names follow the proto in either
 * spelling (`max_retries` or `maxRetries`), as proto3's JSON mapping does. Unknown fields are
 * refused, so that a typo never silently falls back to a default.
 *
 * Only own keys count: JSON.parse makes `"__proto__"` an own data property (it never sets a
 * prototype), and the field table has no prototype, so `__proto__`, `constructor`, `toString` and
 * the like are unknown fields like any other instead of matching Object.prototype's members.
 */
import { ErrorCode, NucleusError, invalidArgument } from '../errors.js';
import type { JobSpecInput } from '../core/validation.js';

type Target = keyof JobSpecInput | 'payloadJson' | 'payloadBase64' | 'runAt';

const FIELDS: Record<string, { target: Target; kind: 'string' | 'number' | 'any' | 'time' }> = Object.assign(Object.create(null), {
  type: { target: 'type', kind: 'string' },
  job_type: { target: 'type', kind: 'string' },
  jobType: { target: 'type', kind: 'string' },
  payload: { target: 'payloadJson', kind: 'any' },
  payload_base64: { target: 'payloadBase64', kind: 'string' },
  payloadBase64: { target: 'payloadBase64', kind: 'string' },
  content_type: { target: 'contentType', kind: 'string' },
  contentType: { target: 'contentType', kind: 'string' },
  queue: { target: 'queue', kind: 'string' },
  priority: { target: 'priority', kind: 'number' },
  max_retries: { target: 'maxRetries', kind: 'number' },
  maxRetries: { target: 'maxRetries', kind: 'number' },
  timeout_ms: { target: 'timeoutMs', kind: 'number' },
  timeoutMs: { target: 'timeoutMs', kind: 'number' },
  delay_ms: { target: 'delayMs', kind: 'number' },
  delayMs: { target: 'delayMs', kind: 'number' },
  run_at: { target: 'runAt', kind: 'time' },
  runAt: { target: 'runAt', kind: 'time' },
  run_at_ms: { target: 'runAtMs', kind: 'number' },
  runAtMs: { target: 'runAtMs', kind: 'number' },
  idempotency_key: { target: 'idempotencyKey', kind: 'string' },
  idempotencyKey: { target: 'idempotencyKey', kind: 'string' },
  backoff_base_ms: { target: 'backoffBaseMs', kind: 'number' },
  backoffBaseMs: { target: 'backoffBaseMs', kind: 'number' },
  backoff_cap_ms: { target: 'backoffCapMs', kind: 'number' },
  backoffCapMs: { target: 'backoffCapMs', kind: 'number' },
});

const JSON_TYPE = 'application/json';

const shown = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
};

/** One job from a JSON object; `field` names it in errors (`job`, `jobs[2]`). */
export function specFromJson(body: unknown, field: string): JobSpecInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidArgument(field, `must be a JSON object such as {"type": "echo", "payload": {...}} (got ${shown(body)})`);
  }
  const seen = new Map<Target, string>();
  const spec: JobSpecInput & { payloadJson?: unknown; payloadBase64?: string; runAt?: unknown } = { type: '' };
  for (const [key, value] of Object.entries(body)) {
    const known = Object.hasOwn(FIELDS, key) ? FIELDS[key] : undefined;
    if (!known) throw invalidArgument(`${field}.${key}`, `is not a job field (known: ${Object.keys(FIELDS).filter((k) => !/[A-Z]/.test(k)).join(', ')})`);
    if (value === null || value === undefined) continue;
    const earlier = seen.get(known.target);
    if (earlier) throw invalidArgument(`${field}.${key}`, `repeats ${field}.${earlier}; give one of them`);
    seen.set(known.target, key);
    if (known.kind === 'string' && typeof value !== 'string') throw invalidArgument(`${field}.${key}`, `must be a string (got ${shown(value)})`);
    if (known.kind === 'number' && typeof value !== 'number') throw invalidArgument(`${field}.${key}`, `must be a number (got ${shown(value)})`);
    (spec as unknown as Record<string, unknown>)[known.target] = value;
  }
  if (!seen.has('type')) throw invalidArgument(`${field}.type`, 'is required (the job type, e.g. "echo")');
  const { payloadJson, payloadBase64, runAt, ...rest } = spec;
  const result: JobSpecInput = rest;
  if (runAt !== undefined) {
    if (result.runAtMs !== undefined) throw invalidArgument(`${field}.${seen.get('runAt')}`, `repeats ${field}.${seen.get('runAtMs')}; give one of them`);
    result.runAtMs = timeOf(runAt, `${field}.${seen.get('runAt')}`);
  }
  if (payloadBase64 !== undefined) {
    if (payloadJson !== undefined) throw invalidArgument(`${field}.${seen.get('payloadBase64')}`, `give either payload or ${seen.get('payloadBase64')}, not both`);
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(payloadBase64)) throw invalidArgument(`${field}.${seen.get('payloadBase64')}`, 'is not base64');
    result.payload = Buffer.from(payloadBase64, 'base64');
    result.contentType ??= 'application/octet-stream';
  } else if (payloadJson !== undefined) {
    const textual = result.contentType !== undefined && !result.contentType.startsWith(JSON_TYPE);
    if (textual && typeof payloadJson !== 'string') {
      throw invalidArgument(`${field}.payload`, `must be a string when content_type is ${result.contentType} (or use payload_base64)`);
    }
    result.payload = Buffer.from(textual ? (payloadJson as string) : JSON.stringify(payloadJson));
  }
  return result;
}

/** A batch: an array of jobs, or `{ "jobs": [...] }`. Null when the body is a single job. */
export function batchFromJson(body: unknown): JobSpecInput[] | null {
  let list: unknown = null;
  if (Array.isArray(body)) list = body;
  else if (typeof body === 'object' && body !== null && Object.hasOwn(body, 'jobs')) {
    const keys = Object.keys(body);
    if (keys.length !== 1) throw invalidArgument('body', `a batch is {"jobs": [...]} alone (also got ${keys.filter((k) => k !== 'jobs').join(', ')})`);
    list = (body as { jobs: unknown }).jobs;
    if (!Array.isArray(list)) throw invalidArgument('jobs', `must be an array of jobs (got ${shown(list)})`);
  }
  if (list === null) return null;
  const jobs = list as unknown[];
  if (jobs.length > 10_000) throw new NucleusError(ErrorCode.ResourceExhausted, `jobs: ${jobs.length} jobs is over the limit of 10000 per call`);
  return jobs.map((job, i) => specFromJson(job, `jobs[${i}]`));
}

/** ms since the epoch, or an ISO 8601 date-time. */
function timeOf(value: unknown, field: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw invalidArgument(field, `must be ms since the epoch or an ISO 8601 date-time such as 2030-01-31T12:00:00Z (got ${shown(value)})`);
}
