/**
 * Hostile values for the fuzz tests, drawn from a seeded Prng: strings (empty, huge, control
 * characters, lone surrogates, injection-looking text), numbers at and past every edge, unknown
 * enum values, empty and huge repeated fields; typed requests for every JobService method; and raw
 * protobuf bytes the typed encoders cannot produce (invalid UTF-8 in string fields, 64-bit varints
 * past 2^53, wrong wire types, truncations, unknown fields).
 */
import type { Prng } from '../chaos/prng.js';

const INT32_EDGES = [0, 1, -1, 5, 10, 11, 100, 101, 1000, 1001, 1024, 1025, 2 ** 31 - 1, -(2 ** 31)];
const INT64_EDGES = [0, 1, -1, 1000, -1000, 2 ** 31, 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1), 8.64e15, 4102444800000];
/** Names of Object.prototype's members: as field names, queues or types they must be plain text. */
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'];
const NAMES = ['echo', 'sleep', 'fibonacci', 'default', 'fz', 'emails', 'a', 'a.b:c-d_e', ...PROTOTYPE_KEYS];

export function hostileString(rng: Prng, hugeChance = 0.03): string {
  if (rng.chance(hugeChance)) return 'x'.repeat(rng.int(200_000, 1_500_000));
  return rng.pick<() => string>([
    () => '',
    () => rng.pick(NAMES),
    () => rng.pick(NAMES),
    () => `fz-${rng.int(0, 99)}`,
    () => 'y'.repeat(rng.int(100, 400)),
    () => '\u0000\u0001\u0007\u001b[31m\n\r\t',
    () => '\ud800\udfff\ud800',
    () => '😀🚀 naïve façade',
    () => "'; DROP TABLE jobs; --",
    () => '../../../etc/passwd',
    () => '%00%ff%',
    () => ' default ',
    () => rng.pick(['-1', '0', '1', '1e309', 'NaN', '0x10', '1.5', '99999999999999999999999']),
    () => '{"type":',
    () => rng.bytes(rng.int(1, 40)).toString('latin1'),
  ])();
}

export const hostileInt32 = (rng: Prng): number => (rng.chance(0.7) ? rng.pick(INT32_EDGES) : rng.int(-(2 ** 31), 2 ** 31 - 1));
export const hostileInt64 = (rng: Prng): number => (rng.chance(0.7) ? rng.pick(INT64_EDGES) : rng.int(-(2 ** 40), 2 ** 40));
/** JobStatus has 0..8: also values past the end and negative ones. */
export const hostileEnum = (rng: Prng): number => rng.pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 42, -1, 2 ** 31 - 1]);

export function hostileBytes(rng: Prng, hugeChance = 0.03): Buffer {
  if (rng.chance(hugeChance)) return Buffer.alloc(rng.int(900_000, 1_300_000), 'z');
  return rng.pick<() => Buffer>([
    () => Buffer.alloc(0),
    () => Buffer.from('{"n":1}'),
    () => Buffer.from('{"duration":0.001}'),
    () => Buffer.from('30'),
    () => Buffer.from('{not json'),
    () => Buffer.from([0xff, 0xfe, 0xfd]),
    () => rng.bytes(rng.int(1, 300)),
  ])();
}

function list<T>(rng: Prng, item: () => T, max = 5): T[] {
  if (rng.chance(0.02)) return Array.from({ length: rng.int(1000, 5000) }, item);
  return Array.from({ length: rng.int(0, max) }, item);
}

/** A job id as text: existing ones, near misses and nonsense. */
export function hostileId(rng: Prng, known: string[]): string {
  if (known.length > 0 && rng.chance(0.3)) return rng.pick(known);
  return rng.pick<() => string>([
    () => String(rng.int(1, 100_000)),
    () => rng.pick(['', '0', '-1', '1.5', ' 1', '1 ', '0x1', '1e3', '+1', '١', '9007199254740993', '99999999999999999999999']),
    () => hostileString(rng, 0.01),
  ])();
}

export function hostileSpec(rng: Prng): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  const set = (key: string, plausible: () => unknown, hostile: () => unknown) => {
    if (rng.chance(0.5)) spec[key] = rng.chance(0.6) ? plausible() : hostile();
  };
  spec.type = rng.chance(0.7) ? rng.pick(NAMES) : hostileString(rng);
  set('payload', () => Buffer.from('{"n":1}'), () => hostileBytes(rng));
  set('contentType', () => 'application/json', () => hostileString(rng));
  set('queue', () => rng.pick(['default', 'fz']), () => hostileString(rng));
  set('priority', () => rng.int(0, 10), () => hostileInt32(rng));
  set('maxRetries', () => rng.int(0, 5), () => hostileInt32(rng));
  set('timeoutMs', () => 5000, () => hostileInt64(rng));
  set('runAtMs', () => 0, () => hostileInt64(rng));
  set('delayMs', () => 0, () => hostileInt64(rng));
  set('idempotencyKey', () => `k-${rng.int(0, 50)}`, () => hostileString(rng));
  set('backoffBaseMs', () => 1000, () => hostileInt64(rng));
  set('backoffCapMs', () => 60_000, () => hostileInt64(rng));
  return spec;
}

export type JobMethod = 'submitJob' | 'submitJobs' | 'getJobStatus' | 'getJobResult' | 'cancelJob' | 'retryJob' | 'listJobs' | 'pauseQueue' | 'getStats';
export const JOB_METHODS: readonly JobMethod[] = ['submitJob', 'submitJobs', 'getJobStatus', 'getJobResult', 'cancelJob', 'retryJob', 'listJobs', 'pauseQueue', 'getStats'];

/** A typed request for a JobService method, from plausible to absurd. */
export function hostileRequest(rng: Prng, method: JobMethod, known: string[]): Record<string, unknown> {
  switch (method) {
    case 'submitJob':
      return rng.chance(0.05) ? {} : { job: hostileSpec(rng) };
    case 'submitJobs':
      return { jobs: list(rng, () => hostileSpec(rng), 6), partial: rng.chance(0.5) };
    case 'getJobStatus':
    case 'cancelJob':
      return { jobId: hostileId(rng, known) };
    case 'getJobResult':
      return { jobId: hostileId(rng, known), wait: rng.chance(0.1), waitTimeoutMs: rng.chance(0.5) ? rng.int(1, 200) : hostileInt64(rng) };
    case 'retryJob':
      return { jobId: rng.chance(0.5) ? hostileId(rng, known) : '', status: hostileEnum(rng), queue: rng.chance(0.5) ? '' : hostileString(rng) };
    case 'listJobs':
      return {
        statuses: list(rng, () => hostileEnum(rng), 4),
        queue: rng.chance(0.5) ? '' : hostileString(rng),
        type: rng.chance(0.5) ? '' : hostileString(rng),
        workerId: rng.chance(0.7) ? '' : hostileString(rng),
        limit: rng.chance(0.5) ? rng.int(0, 100) : hostileInt32(rng),
        pageToken: rng.chance(0.6) ? '' : hostileString(rng),
        newestFirst: rng.chance(0.5),
      };
    case 'pauseQueue':
      return { queue: rng.chance(0.3) ? 'fz' : hostileString(rng), paused: rng.chance(0.5) };
    case 'getStats':
      return {};
  }
}

// ----------------------------------------------------------------------------- raw protobuf

const WIRE = { varint: 0, i64: 1, len: 2, i32: 5 } as const;

export function varint(value: bigint): Buffer {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

const tag = (field: number, wire: number) => varint(BigInt((field << 3) | wire));
const lenField = (field: number, bytes: Buffer) => Buffer.concat([tag(field, WIRE.len), varint(BigInt(bytes.length)), bytes]);
const varintField = (field: number, value: bigint) => Buffer.concat([tag(field, WIRE.varint), varint(value)]);

type Kind = 'string' | 'bytes' | 'int32' | 'int64' | 'enum' | 'bool' | 'spec' | 'strings' | 'enums';
const SPEC: Array<[number, Kind]> = [[1, 'string'], [2, 'bytes'], [3, 'string'], [4, 'string'], [5, 'int32'], [6, 'int32'], [7, 'int64'], [8, 'int64'], [9, 'int64'], [10, 'string'], [11, 'int64'], [12, 'int64']];

/** Field numbers and kinds of each JobService request, from proto/nucleus/v1/jobs.proto. */
export const REQUEST_FIELDS: Record<string, Array<[number, Kind]>> = {
  SubmitJob: [[1, 'spec']],
  SubmitJobs: [[1, 'spec'], [1, 'spec'], [2, 'bool']],
  GetJobStatus: [[1, 'string']],
  GetJobResult: [[1, 'string'], [2, 'bool'], [3, 'int64']],
  CancelJob: [[1, 'string']],
  RetryJob: [[1, 'string'], [2, 'enum'], [3, 'string']],
  ListJobs: [[1, 'enums'], [2, 'string'], [3, 'string'], [4, 'string'], [5, 'int32'], [6, 'string'], [7, 'bool']],
  PauseQueue: [[1, 'string'], [2, 'bool']],
  GetStats: [],
  WatchEvents: [[1, 'strings']],
};

/** UTF-8 that is not: a lone continuation byte, an overlong NUL, an encoded surrogate, a truncated sequence. */
const INVALID_UTF8 = [Buffer.from([0xff]), Buffer.from([0xc0, 0x80]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe2, 0x82]), Buffer.from('ok\x80ok', 'latin1')];
const HUGE_VARINTS = [2n ** 63n - 1n, 2n ** 64n - 1n, -1n, 2n ** 53n + 1n, 2n ** 40n, -(2n ** 63n)];

function rawValue(rng: Prng, field: number, kind: Kind, depth: number): Buffer {
  // One time in eight, a value of the wrong wire type for the field.
  if (rng.chance(0.125)) return Buffer.concat([tag(field, rng.pick([0, 1, 2, 5])), rng.bytes(rng.int(0, 9))]);
  switch (kind) {
    case 'string':
    case 'strings':
      return lenField(field, rng.chance(0.6) ? rng.pick(INVALID_UTF8) : Buffer.from(rng.pick(['echo', 'default', '1', ''])));
    case 'bytes':
      return lenField(field, rng.bytes(rng.int(0, 64)));
    case 'int32':
    case 'int64':
    case 'enum':
    case 'enums':
    case 'bool':
      return varintField(field, rng.chance(0.6) ? rng.pick(HUGE_VARINTS) : BigInt(rng.int(-5, 300)));
    case 'spec':
      return lenField(field, depth > 0 ? rawMessage(rng, SPEC, depth - 1) : rng.bytes(rng.int(0, 20)));
  }
}

function rawMessage(rng: Prng, fields: Array<[number, Kind]>, depth = 1): Buffer {
  const parts = fields.filter(() => rng.chance(0.7)).map(([field, kind]) => rawValue(rng, field, kind, depth));
  if (rng.chance(0.2)) parts.push(varintField(rng.int(13, 5000), BigInt(rng.int(0, 1000)))); // unknown field
  return Buffer.concat(parts);
}

/** Bytes for a method's request: random, structured-but-hostile, or a valid-looking one mutated. */
export function rawRequest(rng: Prng, method: string): Buffer {
  const fields = REQUEST_FIELDS[method] ?? [];
  const base = rawMessage(rng, fields);
  return rng.pick<() => Buffer>([
    () => rng.bytes(rng.int(0, 200)),
    () => base,
    () => base,
    () => base.subarray(0, rng.int(0, base.length)), // truncated
    () => {
      const copy = Buffer.from(base);
      for (let i = 0; i < Math.max(1, copy.length >> 4); i++) if (copy.length) copy[rng.int(0, copy.length - 1)] = rng.int(0, 255);
      return copy;
    },
    () => Buffer.concat([base, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])]), // a length far past the end
  ])();
}
