/**
 * Validation of client input: every field, every kind of wrong value. The message must name the
 * field (and the limit, where there is one) so that a person can fix the request.
 */
import { describe, expect, it } from 'vitest';
import { parseJobId, parseName, parseStatus, validateJobSpec, type JobSpecInput } from '../../../src/core/validation.js';
import { JOB_LIMITS } from '../../../src/core/job.js';
import { initialStatus } from '../../../src/core/state-machine.js';
import { ErrorCode, NucleusError } from '../../../src/errors.js';

const NOW = Date.UTC(2026, 0, 1);
const LIMITS = { maxPayloadBytes: 1024, defaultTimeoutMs: 30_000 };

function failure(fn: () => unknown): NucleusError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(NucleusError);
    return error as NucleusError;
  }
  throw new Error('expected a NucleusError, but nothing was thrown');
}

const spec = (overrides: Partial<JobSpecInput>): JobSpecInput => ({ type: 'echo', ...overrides }) as JobSpecInput;

describe('validateJobSpec: defaults', () => {
  it('given only a type, then every other field takes its documented default', () => {
    const job = validateJobSpec({ type: 'echo' }, NOW, LIMITS);
    expect(job).toEqual({
      queue: 'default',
      type: 'echo',
      payload: new Uint8Array(),
      contentType: 'application/json',
      priority: 5,
      maxRetries: 3,
      timeoutMs: 30_000,
      runAt: NOW,
      idempotencyKey: null,
      backoffBaseMs: 1000,
      backoffCapMs: 3_600_000,
    });
  });

  it('given priority 0 and maxRetries 0 (explicit zeros), then they are kept, not defaulted', () => {
    const job = validateJobSpec(spec({ priority: 0, maxRetries: 0 }), NOW, LIMITS);
    expect(job.priority).toBe(0);
    expect(job.maxRetries).toBe(0);
  });

  it('given a delay, then run-at is now + delay; given run-at, then it wins over the delay', () => {
    expect(validateJobSpec(spec({ delayMs: 5000 }), NOW, LIMITS).runAt).toBe(NOW + 5000);
    expect(validateJobSpec(spec({ delayMs: 5000, runAtMs: NOW + 60_000 }), NOW, LIMITS).runAt).toBe(NOW + 60_000);
  });

  it('given run-at in the past, then it is due at once (queued, not scheduled)', () => {
    const job = validateJobSpec(spec({ runAtMs: NOW - 60_000 }), NOW, LIMITS);
    expect(initialStatus(job.runAt, NOW)).toBe('queued');
  });

  it('given a payload exactly at the limit, then it is accepted', () => {
    expect(validateJobSpec(spec({ payload: new Uint8Array(1024) }), NOW, LIMITS).payload.byteLength).toBe(1024);
  });
});

describe('validateJobSpec: refusals name the field and the limit', () => {
  const long = (n: number) => 'k'.repeat(n);
  it.each<[string, Partial<JobSpecInput> | Record<string, unknown>, string, string[]]>([
    ['missing type', { type: undefined }, 'job.type', ['required']],
    ['empty type', { type: '' }, 'job.type', ['must not be empty']],
    ['type of the wrong kind', { type: 42 }, 'job.type', ['string']],
    ['type with a space', { type: 'two words' }, 'job.type', ['letters, digits', '"two words"']],
    ['type too long', { type: long(129) }, 'job.type', ['at most 128']],
    ['empty queue name is a default, but a bad one is refused', { queue: 'a/b' }, 'job.queue', ['"a/b"']],
    ['queue too long', { queue: long(129) }, 'job.queue', ['at most 128']],
    ['priority above 10', { priority: 11 }, 'job.priority', ['0 to 10', 'got 11']],
    ['priority below 0', { priority: -1 }, 'job.priority', ['0 to 10', 'got -1']],
    ['priority not an integer', { priority: 2.5 }, 'job.priority', ['integer', 'got 2.5']],
    ['priority not a number', { priority: 'high' }, 'job.priority', ['number']],
    ['priority NaN', { priority: Number.NaN }, 'job.priority', ['number']],
    ['max retries above 100', { maxRetries: 101 }, 'job.max_retries', ['0 to 100', 'got 101']],
    ['negative max retries', { maxRetries: -1 }, 'job.max_retries', ['0 to 100']],
    ['negative timeout', { timeoutMs: -5 }, 'job.timeout_ms', ['got -5']],
    ['timeout above 7 days', { timeoutMs: JOB_LIMITS.maxTimeoutMs + 1 }, 'job.timeout_ms', [String(JOB_LIMITS.maxTimeoutMs)]],
    ['negative delay', { delayMs: -1 }, 'job.delay_ms', ['got -1']],
    ['delay above 366 days', { delayMs: JOB_LIMITS.maxDelayMs + 1 }, 'job.delay_ms', [String(JOB_LIMITS.maxDelayMs)]],
    ['negative run-at', { runAtMs: -1 }, 'job.run_at_ms', ['got -1']],
    ['negative backoff base', { backoffBaseMs: -1 }, 'job.backoff_base_ms', ['got -1']],
    ['negative backoff cap', { backoffCapMs: -1 }, 'job.backoff_cap_ms', ['got -1']],
    ['backoff cap below the base', { backoffBaseMs: 5000, backoffCapMs: 1000 }, 'job.backoff_cap_ms', ['5000 ms']],
    ['idempotency key too long', { idempotencyKey: long(257) }, 'job.idempotency_key', ['at most 256']],
    ['content type too long', { contentType: long(256) }, 'job.content_type', ['at most 255']],
  ])('given %s, then INVALID_ARGUMENT naming %s', (_what, overrides, field, parts) => {
    const error = failure(() => validateJobSpec(spec(overrides as Partial<JobSpecInput>), NOW, LIMITS));
    expect(error.code).toBe(ErrorCode.InvalidArgument);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    for (const part of parts) expect(error.message).toContain(part);
  });

  it('given an idempotency key of exactly 256 characters, then it is accepted', () => {
    expect(validateJobSpec(spec({ idempotencyKey: long(256) }), NOW, LIMITS).idempotencyKey).toHaveLength(256);
  });

  it('given a payload one byte over the limit, then RESOURCE_EXHAUSTED naming the payload, its size and the limit', () => {
    const error = failure(() => validateJobSpec(spec({ payload: new Uint8Array(1025) }), NOW, LIMITS));
    expect(error.code).toBe(ErrorCode.ResourceExhausted);
    expect(error.message).toContain('job.payload');
    expect(error.message).toContain('1025 bytes');
    expect(error.message).toContain('limit of 1024 bytes');
    expect(error.message).toContain('--max-payload');
  });

  it('given a field prefix (jobs[3]), then the error names the job in the batch', () => {
    const error = failure(() => validateJobSpec(spec({ priority: 99 }), NOW, LIMITS, 'jobs[3]'));
    expect(error.message.startsWith('jobs[3].priority: ')).toBe(true);
  });
});

describe('parseJobId', () => {
  it.each([
    ['1', 1],
    ['42', 42],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ])('given "%s", then %d', (text, id) => {
    expect(parseJobId(text)).toBe(id);
  });

  it.each(['', '0', '-1', '01', '1.5', 'abc', ' 7', '7 ', '1e3', '12345678901234567'])('given "%s", then INVALID_ARGUMENT naming job_id', (text) => {
    const error = failure(() => parseJobId(text));
    expect(error.code).toBe(ErrorCode.InvalidArgument);
    expect(error.message).toMatch(/^job_id: must be a positive integer job id/);
  });

  it('given a 16-digit id past the largest safe integer, then INVALID_ARGUMENT with the limit', () => {
    const error = failure(() => parseJobId('9999999999999999'));
    expect(error.message).toContain(`at most ${Number.MAX_SAFE_INTEGER}`);
  });

  it('given another field name, then the error uses it', () => {
    expect(failure(() => parseJobId('x', 'jobs[2].id')).message.startsWith('jobs[2].id: ')).toBe(true);
  });
});

describe('parseStatus and parseName', () => {
  it('given every status name, then it is accepted', () => {
    for (const s of ['queued', 'scheduled', 'running', 'retrying', 'completed', 'failed', 'dead_letter', 'cancelled']) {
      expect(parseStatus(s)).toBe(s);
    }
  });

  it.each(['done', '', 'QUEUED', 'dead-letter'])('given the unknown status "%s", then INVALID_ARGUMENT listing the valid ones', (text) => {
    const error = failure(() => parseStatus(text, 'statuses[0]'));
    expect(error.code).toBe(ErrorCode.InvalidArgument);
    expect(error.message).toMatch(/^statuses\[0\]: must be one of queued, .*dead_letter, cancelled/);
  });

  it('given a good name, then it is returned; a bad one names the field', () => {
    expect(parseName('emails.high-1:x', 'queue')).toBe('emails.high-1:x');
    expect(failure(() => parseName('', 'queue')).message).toBe('queue: must not be empty');
    expect(failure(() => parseName('a'.repeat(129), 'worker_id')).message).toBe('worker_id: must be at most 128 characters');
  });
});

describe('validateJobSpec: a batch of jobs that differ only in payload', () => {
  it('given a valid spec just checked, when the next differs in one field and that field is invalid, then it is still refused', () => {
    const ok = { type: 'email', queue: 'mail', priority: 3, payload: Buffer.from('a') };
    expect(validateJobSpec(ok, NOW, LIMITS).priority).toBe(3);
    // Same fields again, other payload: same answer.
    expect(validateJobSpec({ ...ok, payload: Buffer.from('b') }, NOW, LIMITS)).toMatchObject({ type: 'email', queue: 'mail', priority: 3 });
    for (const [bad, field] of [
      [{ ...ok, priority: 11 }, 'job.priority'],
      [{ ...ok, type: 'bad type' }, 'job.type'],
      [{ ...ok, queue: '' }, 'job.queue'],
      [{ ...ok, maxRetries: -1 }, 'job.max_retries'],
      [{ ...ok, priority: '3' as unknown as number }, 'job.priority'],
    ] as const) {
      expect(() => validateJobSpec(bad, NOW, LIMITS)).toThrow(field);
      // And the valid one after it still passes.
      expect(validateJobSpec(ok, NOW, LIMITS).queue).toBe('mail');
    }
  });

  it('given the same fields, when the payload is over the limit, then it is refused even though the fields were checked before', () => {
    const spec = { type: 'noop', payload: Buffer.alloc(10) };
    validateJobSpec(spec, NOW, LIMITS);
    expect(() => validateJobSpec({ ...spec, payload: Buffer.alloc(LIMITS.maxPayloadBytes + 1) }, NOW, LIMITS)).toThrow('job.payload');
  });
});
