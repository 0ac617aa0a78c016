/**
 * Fuzz of the master's gRPC surface with a seeded generator (FUZZ_SEED replays a run; FUZZ_CALLS
 * and FUZZ_TIME_MS bound it): random and mutated typed requests to every JobService method, raw
 * bytes through a client whose serializer sends them as they are, and the worker stream (random
 * messages, messages before Hello, duplicate Hello, garbage frames).
 *
 * What must hold: every call is answered, either OK or with a refusal from the proper set (never
 * INTERNAL, never a dropped connection); a refused call leaves the store byte-for-byte unchanged
 * (snapshot before and after each one); and afterwards a normal submit still works.
 *
 * The master runs on a frozen clock and without workers, so that nothing but the fuzzed calls can
 * change the store: no scheduled job comes due and nothing is dispatched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Metadata, credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { startCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { storeSnapshot, type StoreSnapshot } from '../chaos/store-snapshot.js';
import { Prng, seedFrom } from '../chaos/prng.js';
import { hostileBytes, hostileRequest, hostileSpec, hostileString, hostileId, hostileInt32, rawRequest, JOB_METHODS, REQUEST_FIELDS, type JobMethod } from './fuzz-values.js';
import { ManualClock } from '../../src/core/clock.js';
import { JobStatus, SubmitBatch, SubmitBatchResult } from '../../src/rpc/generated/nucleus/v1/jobs.js';
import { workerClient } from '../../src/rpc/client.js';
import { Hello, Outcome, type MasterMessage, type WorkerMessage } from '../../src/rpc/generated/nucleus/v1/worker.js';

const SEED = seedFrom(process.env.FUZZ_SEED);
const CALLS = Number(process.env.FUZZ_CALLS ?? 360);
const TIME_MS = Number(process.env.FUZZ_TIME_MS ?? 20_000);
/** Refusals a client may get for its own bad input. */
const REFUSALS = ['INVALID_ARGUMENT', 'RESOURCE_EXHAUSTED', 'NOT_FOUND', 'FAILED_PRECONDITION'];
const REFUSAL_STATUS = [GrpcStatus.INVALID_ARGUMENT, GrpcStatus.RESOURCE_EXHAUSTED, GrpcStatus.NOT_FOUND, GrpcStatus.FAILED_PRECONDITION];

let cluster: TestCluster;
const tally = new Map<string, number>();
const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
const replay = `(replay with FUZZ_SEED=${SEED})`;

beforeAll(async () => {
  cluster = await startCluster({ clock: new ManualClock(Date.now()) });
  // eslint-disable-next-line no-console
  console.log(`fuzz-grpc: seed ${SEED}, up to ${CALLS} calls per part, ${TIME_MS} ms per part`);
});
afterAll(async () => {
  // eslint-disable-next-line no-console
  console.log(`fuzz-grpc outcomes (seed ${SEED}):\n${[...tally].sort().map(([k, n]) => `  ${k.padEnd(44)} ${n}`).join('\n')}`);
  await cluster?.close();
});

/** Runs `step` up to CALLS times or until the time budget is spent; returns how many ran. */
async function bounded(step: (i: number) => Promise<void>): Promise<number> {
  const end = Date.now() + TIME_MS;
  let i = 0;
  for (; i < CALLS && Date.now() < end; i++) await step(i);
  return i;
}

const describeRequest = (request: unknown) => JSON.stringify(request, (_k, v) => (typeof v === 'string' && v.length > 60 ? `${v.slice(0, 60)}…(${v.length})` : v?.type === 'Buffer' ? `<${v.data.length} bytes>` : v)).slice(0, 400);

async function expectServing(): Promise<void> {
  const { jobId } = await cluster.client.call('submitJob', { job: { type: 'echo', payload: Buffer.from('{"after":"fuzz"}') } });
  const { job } = await cluster.client.call('getJobStatus', { jobId });
  expect(job?.status).toBe(JobStatus.JOB_STATUS_QUEUED);
  expect(cluster.running.master.state).toBe('running');
}

describe('fuzz: JobService with typed requests', () => {
  it(`given a master, when random and hostile requests hit every JobService method, then each is OK or a proper refusal, refused ones write nothing, and accepted submits add exactly their jobs`, async () => {
    const rng = new Prng(SEED);
    const known: string[] = [];
    let baseline: StoreSnapshot = storeSnapshot(cluster.dbPath);
    const ran = await bounded(async (i) => {
      const method: JobMethod = JOB_METHODS[i % JOB_METHODS.length];
      let request = hostileRequest(rng, method, known);
      if (method === 'submitJobs' && rng.chance(0.01)) request = { jobs: Array.from({ length: 10_001 }, () => ({ type: 'echo' })) };
      const wait = method === 'getJobResult' && request.wait === true;
      const outcome = await cluster.client.call(method, request as never, 1_500).then(
        (response) => ({ response: response as unknown, error: null }),
        (error: { code: string; message: string }) => ({ response: null, error }),
      );
      const context = `${method} #${i} ${describeRequest(request)} ${replay}`;
      if (outcome.error) {
        count(`${method} ${outcome.error.code}`);
        const allowed = wait ? [...REFUSALS, 'DEADLINE_EXCEEDED'] : REFUSALS;
        expect(allowed, `${context}: ${outcome.error.message}`).toContain(outcome.error.code);
        expect(outcome.error.message.length, context).toBeGreaterThan(0);
        expect(storeSnapshot(cluster.dbPath), `a refused ${context} changed the store`).toEqual(baseline);
        return;
      }
      count(`${method} OK`);
      const after = storeSnapshot(cluster.dbPath);
      if (method === 'submitJob' || method === 'submitJobs') {
        const results = method === 'submitJob' ? [outcome.response as { jobId: string; duplicate: boolean; errorCode: string }] : (outcome.response as { results: Array<{ jobId: string; duplicate: boolean; errorCode: string }> }).results;
        const added = results.filter((r) => r.jobId && !r.duplicate).length;
        for (const r of results) {
          if (r.jobId) known.push(r.jobId);
          else expect(REFUSALS, `${context}: per-job error`).toContain(r.errorCode);
        }
        expect(after.jobs - baseline.jobs, `${context} added another number of jobs than it acknowledged`).toBe(added);
      } else if (method === 'getJobStatus' || method === 'listJobs' || method === 'getStats' || method === 'getJobResult') {
        expect(after, `a read (${context}) changed the store`).toEqual(baseline);
      }
      baseline = after;
    });
    expect(ran).toBeGreaterThanOrEqual(Math.min(CALLS, JOB_METHODS.length * 4));
    for (const method of JOB_METHODS) expect([...tally.keys()].some((k) => k.startsWith(`${method} `)), `${method} was never called`).toBe(true);
    await expectServing();
  });

  it('given a master, when WatchEvents is opened with hostile queue filters, then each stream is served or refused properly', async () => {
    const rng = new Prng(SEED + 1);
    for (let i = 0; i < 12; i++) {
      const queues = Array.from({ length: rng.int(0, rng.chance(0.1) ? 3000 : 4) }, () => hostileString(rng, 0.02));
      // A stream the master accepts stays open (no event comes on a frozen master) until its deadline.
      const stream = cluster.client.raw.watchEvents({ queues }, { deadline: Date.now() + 200 });
      const error = await new Promise<ServiceError>((resolve) => {
        stream.on('error', (e: ServiceError) => resolve(e));
        stream.on('data', () => undefined);
      });
      count(`watchEvents ${error.code === GrpcStatus.DEADLINE_EXCEEDED ? 'served' : GrpcStatus[error.code]}`);
      expect([...REFUSAL_STATUS, GrpcStatus.DEADLINE_EXCEEDED], `${error.details} ${replay}`).toContain(error.code);
    }
    await expectServing();
  });
});

/** Whether bytes decode as a SubmitBatch. */
function decodes(bytes: Buffer): boolean {
  try {
    SubmitBatch.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

describe('fuzz: SubmitStream', () => {
  it('given a master, when hostile batches and garbage frames go down submit streams, then every batch is answered (jobs or a refusal), garbage ends the stream INVALID_ARGUMENT, and only acknowledged jobs are written', async () => {
    const rng = new Prng(SEED + 3);
    for (let s = 0; s < 6; s++) {
      const garbage = s % 3 === 2;
      const raw = new Client(cluster.address, credentials.createInsecure());
      const stream = raw.makeBidiStreamRequest('/nucleus.v1.JobService/SubmitStream', (b: Buffer) => b, (b: Buffer) => b, new Metadata());
      const answers: SubmitBatchResult[] = [];
      const closed = new Promise<ServiceError | null>((resolve) => {
        stream.on('data', (b: Buffer) => answers.push(SubmitBatchResult.decode(b)));
        stream.on('error', (e: ServiceError) => resolve(e));
        stream.on('end', () => resolve(null));
      });
      const before = storeSnapshot(cluster.dbPath);
      const batches = rng.int(1, 8);
      for (let b = 1; b <= batches; b++) {
        const jobs = Array.from({ length: rng.chance(0.05) ? 10_001 : rng.int(0, 6) }, () => hostileSpec(rng));
        stream.write(Buffer.from(SubmitBatch.encode(SubmitBatch.fromPartial({ batchId: b, jobs: jobs as never })).finish()));
      }
      if (garbage) {
        // Only bytes that do not decode are garbage: an empty frame, for one, is a valid empty batch.
        const junk = hostileBytes(rng, 0);
        stream.write(rng.chance(0.5) && !decodes(junk) ? junk : Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
      }
      stream.end();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`stream #${s} garbage=${garbage} answers=${answers.length}/${batches} never closed`)), 10_000);
      });
      const status = await Promise.race([closed, deadline]).finally(() => clearTimeout(timer));
      raw.close();
      const context = `stream #${s} ${replay}`;
      if (status) {
        // Undecodable bytes, or a message over the size limit, end the stream; earlier batches may have been answered.
        expect([GrpcStatus.INVALID_ARGUMENT, GrpcStatus.RESOURCE_EXHAUSTED], `${context}: ${status.details}`).toContain(status.code);
        count(`submitStream stream ${GrpcStatus[status.code]}`);
      } else {
        expect(garbage, `${context}: garbage was taken without an error`).toBe(false);
        expect(answers.map((a) => a.batchId).sort((x, y) => x - y), context).toEqual(Array.from({ length: batches }, (_, i) => i + 1));
      }
      let acknowledged = 0;
      for (const a of answers) {
        count(`submitStream batch ${a.error ? a.errorCode : 'answered'}`);
        if (a.error) expect(REFUSALS.concat('UNAVAILABLE'), `${context}: ${a.error}`).toContain(a.errorCode);
        for (const r of a.results) {
          if (r.jobId) acknowledged += r.duplicate ? 0 : 1;
          else expect(REFUSALS, `${context}: ${r.error}`).toContain(r.errorCode);
        }
      }
      await waitFor(() => storeSnapshot(cluster.dbPath).jobs - before.jobs >= acknowledged, 'acknowledged jobs in the store');
      if (!status) expect(storeSnapshot(cluster.dbPath).jobs - before.jobs, `${context} wrote other jobs than it acknowledged`).toBe(acknowledged);
    }
    await expectServing();
  });
});

describe('fuzz: raw bytes', () => {
  it('given a master, when garbage and mutated protobuf bytes are sent to every JobService method, then each is OK or a proper refusal (INVALID_ARGUMENT for undecodable bytes, never INTERNAL) and refused ones write nothing', async () => {
    const rng = new Prng(SEED + 2);
    const raw = new Client(cluster.address, credentials.createInsecure());
    const methods = Object.keys(REQUEST_FIELDS).filter((m) => m !== 'WatchEvents');
    let baseline = storeSnapshot(cluster.dbPath);
    try {
      await bounded(async (i) => {
        const method = i % 25 === 24 ? `NoSuchMethod${i}` : methods[i % methods.length];
        const bytes = rawRequest(rng, method);
        const error = await new Promise<ServiceError | null>((resolve) => {
          raw.makeUnaryRequest(`/nucleus.v1.JobService/${method}`, (b: Buffer) => b, (b: Buffer) => b, bytes, new Metadata(), { deadline: Date.now() + 1_500 }, (e) => resolve(e ?? null));
        });
        const context = `${method} #${i} bytes ${bytes.toString('hex').slice(0, 120)} ${replay}`;
        count(`raw ${method.startsWith('NoSuch') ? 'NoSuchMethod' : method} ${error ? GrpcStatus[error.code] : 'OK'}`);
        if (error === null) {
          baseline = storeSnapshot(cluster.dbPath);
          return;
        }
        const allowed = method.startsWith('NoSuch') ? [GrpcStatus.UNIMPLEMENTED] : method === 'GetJobResult' ? [...REFUSAL_STATUS, GrpcStatus.DEADLINE_EXCEEDED] : REFUSAL_STATUS;
        expect(allowed, `${context}: ${GrpcStatus[error.code]} ${error.details}`).toContain(error.code);
        expect(storeSnapshot(cluster.dbPath), `a refused ${context} changed the store`).toEqual(baseline);
      });
    } finally {
      raw.close();
    }
    expect(tally.get('raw SubmitJob INVALID_ARGUMENT') ?? 0, 'no undecodable SubmitJob was refused').toBeGreaterThan(0);
    await expectServing();
  });
});

/** One worker stream: writes `messages`, then a probe result whose refusal proves all were handled. */
async function workerSession(messages: Array<WorkerMessage | Buffer>): Promise<{ status: ServiceError | null; acks: number }> {
  const raw = messages.some((m) => Buffer.isBuffer(m));
  const client = raw ? new Client(cluster.address, credentials.createInsecure()) : workerClient(cluster.address);
  // One stream type for both: raw streams carry Buffers, typed ones WorkerMessages.
  const stream = (raw
    ? client.makeBidiStreamRequest('/nucleus.v1.WorkerService/Connect', (b: Buffer) => b, (b: Buffer) => b, new Metadata())
    : (client as ReturnType<typeof workerClient>).connect()) as unknown as import('@grpc/grpc-js').ClientDuplexStream<unknown, unknown>;
  const probe = { jobId: '987654321', attempt: 1 };
  let acks = 0;
  const outcome = new Promise<ServiceError | null>((resolve) => {
    stream.on('error', (e: ServiceError) => resolve(e));
    stream.on('end', () => resolve(null));
    stream.on('data', (m: MasterMessage | Buffer) => {
      if (Buffer.isBuffer(m)) return;
      for (const ack of m.msg?.$case === 'acks' ? m.msg.value.acks : []) {
        acks++;
        if (ack.jobId === probe.jobId) resolve(null);
      }
    });
  });
  for (const m of messages) stream.write(m);
  // Raw bytes may decode into anything, even a valid Hello: half-close so that the master ends the stream.
  if (raw) stream.end();
  else stream.write({ msg: { $case: 'results', value: { results: [{ ...probe, outcome: Outcome.OUTCOME_COMPLETED, result: Buffer.alloc(0), contentType: '', error: '', startedAtMs: 0, finishedAtMs: 0 }] } } });
  const status = await outcome;
  stream.cancel();
  client.close();
  return { status, acks };
}

describe('fuzz: the worker stream', () => {
  it('given a master, when worker streams send random messages, messages before Hello, duplicate Hellos and garbage frames, then each stream is served or ended INVALID_ARGUMENT and the store does not change', async () => {
    const rng = new Prng(SEED + 3);
    const known = (await cluster.client.call('listJobs', { limit: 50 })).jobs.map((j) => j.id);
    const lease = () => ({ jobId: hostileId(rng, known), attempt: hostileInt32(rng) });
    // Job types no stored job has, so that a welcomed session is never handed work.
    const names = () => (rng.chance(0.8) ? rng.pick(['fzw-a', 'fzw-b']) : rng.pick(['', 'bad type', '../x', 'z'.repeat(300)]));
    const hello = (): WorkerMessage => ({
      msg: {
        $case: 'hello',
        value: Hello.fromPartial({
          workerId: rng.chance(0.8) ? `fzw-${rng.int(0, 5)}` : hostileString(rng, 0.01),
          concurrency: rng.chance(0.8) ? rng.int(1, 8) : hostileInt32(rng),
          queues: Array.from({ length: rng.int(0, 3) }, names),
          jobTypes: Array.from({ length: rng.int(rng.chance(0.9) ? 1 : 0, 3) }, names),
          hostname: hostileString(rng, 0.01),
          pid: hostileInt32(rng),
          version: hostileString(rng, 0.01),
          held: Array.from({ length: rng.int(0, 3) }, lease),
        }),
      },
    });
    const other = (): WorkerMessage =>
      rng.pick<() => WorkerMessage>([
        () => ({ msg: { $case: 'heartbeat', value: { running: Array.from({ length: rng.int(0, 4) }, () => ({ ...lease(), progress: rng.pick([0, 50, 100, -1, 1e308, NaN]), progressMessage: hostileString(rng, 0.01) })) } } }),
        () => ({ msg: { $case: 'results', value: { results: Array.from({ length: rng.int(0, 4) }, () => ({ ...lease(), outcome: rng.pick([0, 1, 2, 3, 4, 5, 6, 99, -1]) as Outcome, result: Buffer.from('x'), contentType: hostileString(rng, 0.01), error: hostileString(rng, 0.01), startedAtMs: rng.int(-1, 2 ** 40), finishedAtMs: rng.int(-1, 2 ** 40) })) } } }),
        () => ({ msg: { $case: 'goodbye', value: { returned: Array.from({ length: rng.int(0, 4) }, lease) } } }),
        () => ({ msg: { $case: 'drain', value: { reason: hostileString(rng, 0.01) } } }),
        () => ({ msg: undefined }),
      ])();
    const before = storeSnapshot(cluster.dbPath);
    await bounded(async (i) => {
      const kind = rng.pick(['before-hello', 'hello-then-random', 'duplicate-hello', 'garbage', 'hello-then-random'] as const);
      const messages: Array<WorkerMessage | Buffer> =
        kind === 'before-hello' ? [other(), hello()]
        : kind === 'duplicate-hello' ? [hello(), other(), hello()]
        : kind === 'garbage' ? Array.from({ length: rng.int(1, 3) }, () => (rng.chance(0.5) ? rng.bytes(rng.int(0, 100)) : Buffer.concat([Buffer.from([0x0a, 0x05]), rng.bytes(rng.int(0, 20))])))
        : [hello(), ...Array.from({ length: rng.int(1, 8) }, other)];
      const { status } = await workerSession(messages);
      count(`worker ${kind} ${status ? GrpcStatus[status.code] : 'served'}`);
      const context = `worker session #${i} (${kind}) ${replay}`;
      // RESOURCE_EXHAUSTED: a message past the size limit (a huge hostile string).
      if (status) expect([GrpcStatus.INVALID_ARGUMENT, GrpcStatus.RESOURCE_EXHAUSTED], `${context}: ${GrpcStatus[status.code]} ${status.details}`).toContain(status.code);
      if (kind === 'before-hello' || kind === 'duplicate-hello') expect(status, `${context}: the stream was served`).not.toBeNull();
      if (kind === 'before-hello' && status?.code === GrpcStatus.INVALID_ARGUMENT) expect(status.details, context).toMatch(/first message on the stream must be Hello/);
    }, );
    expect(storeSnapshot(cluster.dbPath), `worker streams changed the store ${replay}`).toEqual(before);
    const { workers } = await cluster.client.call('getStats', {});
    expect(workers.filter((w) => w.alive)).toEqual([]);
    await expectServing();
  });
});
