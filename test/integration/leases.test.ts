/**
 * Leases over the real WorkerService stream, with a worker played by hand: stale results are
 * refused and change nothing, a silent worker is declared dead and its job comes back, a worker
 * that reconnects in time keeps its lease, and a clean goodbye gives work back at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { HandWorker } from './hand-worker.js';
import { connected, gate, getJob, payload, submit, waitForStatus } from './jobs.js';
import { Outcome } from '../../src/rpc/generated/nucleus/v1/worker.js';

/** Short enough to keep the tests quick, five heartbeats long so that a busy machine does not kill a live worker. */
const TIMEOUT_MS = 1000;
const FAST_HEARTBEATS = { 'heartbeat-interval': '200ms', 'heartbeat-timeout': `${TIMEOUT_MS}ms` };

let cluster: TestCluster | null = null;
const hands: HandWorker[] = [];
afterEach(async () => {
  for (const h of hands.splice(0)) h.close();
  await cluster?.close();
  cluster = null;
});

async function hand(workerId: string, extra: Parameters<typeof HandWorker.connect>[1] | object = {}): Promise<HandWorker> {
  const worker = await HandWorker.connect(cluster!.address, { workerId, ...extra });
  hands.push(worker);
  return worker;
}

describe('stale results', () => {
  it('given a running job, when a result names the wrong attempt, then it is refused and the job is still running; the right one applies', async () => {
    cluster = await startCluster();
    const worker = await hand('hand-1');
    const jobId = await submit(cluster, { type: 'echo', payload: payload({ n: 1 }) });
    const assignment = await worker.assignment();
    expect(assignment).toMatchObject({ jobId, attempt: 1, type: 'echo' });
    const before = await getJob(cluster, jobId);

    worker.result(jobId, 2, 'forged');
    const refused = await worker.ack(jobId, 2);
    expect(refused.accepted).toBe(false);
    expect(refused.reason).toMatch(/stale lease/);
    const after = await getJob(cluster, jobId);
    expect(after.state).toBe('running');
    expect(after).toEqual(before);

    worker.result(jobId, 1, { n: 1 });
    expect((await worker.ack(jobId, 1)).accepted).toBe(true);
    const done = await waitForStatus(cluster, jobId, 'completed');
    expect(JSON.parse(Buffer.from(done.result).toString())).toEqual({ n: 1 });
    expect(done.attempts.map((a) => [a.number, a.workerId, a.outcome])).toEqual([[1, 'hand-1', 'completed']]);
  });

  it('given a completed job, when the same result is sent again, then the duplicate is refused and the record does not change', async () => {
    cluster = await startCluster();
    const worker = await hand('hand-1');
    const jobId = await submit(cluster, { type: 'echo', payload: payload('x') });
    await worker.assignment();
    worker.result(jobId, 1, 'first');
    expect((await worker.ack(jobId, 1)).accepted).toBe(true);
    const done = await waitForStatus(cluster, jobId, 'completed');
    worker.result(jobId, 1, 'second', Outcome.OUTCOME_ERROR, 'late error');
    await worker.next('acks');
    await waitForAcks(worker, jobId, 1, 2);
    const acks = worker.all('acks').flatMap((m) => m.acks).filter((a) => a.jobId === jobId);
    expect(acks.map((a) => a.accepted)).toEqual([true, false]);
    expect(await getJob(cluster, jobId)).toEqual(done);
  });

  it('given a worker declared dead, when its late result arrives after another worker finished the job, then it is refused and changes nothing', async () => {
    cluster = await startCluster({ master: FAST_HEARTBEATS });
    // Taken before Hello is sent: the master cannot have heard from the worker any earlier.
    const helloAt = Date.now();
    const silent = await hand('silent');
    const jobId = await submit(cluster, { type: 'echo', payload: payload('real') });
    const first = await silent.assignment();
    expect(first.attempt).toBe(1);

    // The silent worker sends nothing more; a real worker is ready to take the job back.
    await connected(await cluster.addWorker({ id: 'real', concurrency: 1 }));
    const done = await waitForStatus(cluster, jobId, 'completed', 5000);
    const lostAfterMs = done.attempts[0].finishedAtMs - helloAt;
    expect(lostAfterMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(lostAfterMs).toBeLessThan(TIMEOUT_MS + 1500);
    expect(done.attempts.map((a) => [a.number, a.workerId, a.outcome])).toEqual([
      [1, 'silent', 'lost'],
      [2, 'real', 'completed'],
    ]);
    expect(done.failures).toBe(1);
    // The master ended the dead worker's stream.
    await waitForEnded(silent);

    // It comes back, still believing it holds attempt 1, and sends its result.
    const back = await hand('silent', { held: [{ jobId, attempt: 1 }] });
    const welcome = await back.welcome();
    expect(welcome.reattached).toEqual([]);
    expect(welcome.refused).toEqual([{ jobId, attempt: 1 }]);
    back.result(jobId, 1, 'too late');
    expect((await back.ack(jobId, 1)).accepted).toBe(false);
    expect(await getJob(cluster, jobId)).toEqual(done);
  });
});

describe('worker loss', () => {
  it('given a worker that stops heartbeating, when the timeout passes, then its job goes back to the front and a real worker completes it', async () => {
    cluster = await startCluster({ master: FAST_HEARTBEATS });
    const silent = await hand('silent');
    const lostJob = await submit(cluster, { type: 'echo', payload: payload('lost'), priority: 5 });
    await silent.assignment();
    // A later job of the same priority must not overtake the lost one.
    const later = await submit(cluster, { type: 'echo', payload: payload('later'), priority: 5 });
    const queued = await waitForStatus(cluster, lostJob, 'queued');
    expect(queued.attempts.map((a) => a.outcome)).toEqual(['lost']);
    expect(queued.attempts[0].error).toMatch(/heartbeat timeout/);

    const order: string[] = [];
    await cluster.addWorker({ id: 'real', concurrency: 1 }, { echo: (value, ctx) => (order.push(ctx.jobId), value) });
    await waitForStatus(cluster, later, 'completed');
    expect(order).toEqual([lostJob, later]);
    const done = await getJob(cluster, lostJob);
    expect(done.attempts.map((a) => [a.workerId, a.outcome])).toEqual([
      ['silent', 'lost'],
      ['real', 'completed'],
    ]);
  });

  it('given a worker that keeps heartbeating, when several timeouts pass, then it keeps its lease', async () => {
    cluster = await startCluster({ master: FAST_HEARTBEATS });
    const busy = await hand('busy');
    const jobId = await submit(cluster, { type: 'echo', payload: payload(1) });
    const a = await busy.assignment();
    const started = Date.now();
    let beats = 0;
    const timer = setInterval(() => {
      busy.heartbeat([{ jobId, attempt: a.attempt }]);
      beats++;
    }, 100);
    try {
      // Two heartbeat timeouts' worth of beats.
      await waitForCondition(() => beats >= 20 && Date.now() - started >= 2 * TIMEOUT_MS);
    } finally {
      clearInterval(timer);
    }
    const job = await getJob(cluster, jobId);
    expect(job.state).toBe('running');
    expect(job.attempts).toHaveLength(1);
    expect(busy.ended).toBeNull();
    busy.result(jobId, a.attempt, 1);
    expect((await busy.ack(jobId, a.attempt)).accepted).toBe(true);
  });

  it('given a job whose every attempt loses its worker, when retries run out, then it ends in dead_letter instead of looping', async () => {
    cluster = await startCluster({ master: FAST_HEARTBEATS });
    const jobId = await submit(cluster, { type: 'echo', payload: payload(1), maxRetries: 1 });
    for (const id of ['doomed-1', 'doomed-2']) {
      const w = await hand(id);
      await w.assignment();
      await waitForEnded(w);
    }
    const job = await waitForStatus(cluster, jobId, 'dead_letter');
    expect(job.attempts.map((a) => a.outcome)).toEqual(['lost', 'lost']);
    expect(job.failures).toBe(2);
  });
});

describe('reconnect', () => {
  it('given a worker that disconnects, when it reconnects within the timeout holding its lease, then the lease is reattached and its result accepted', async () => {
    cluster = await startCluster({ master: { 'heartbeat-interval': '500ms', 'heartbeat-timeout': '3s' } });
    const first = await hand('flaky', { sessionSecret: SECRET });
    const jobId = await submit(cluster, { type: 'echo', payload: payload('kept') });
    const a = await first.assignment();
    first.disconnect();
    await waitForCondition(async () => (await cluster!.client.call('getStats', {})).workers.length === 0);

    const again = await hand('flaky', { held: [{ jobId, attempt: a.attempt }], sessionSecret: SECRET });
    const welcome = await again.welcome();
    expect(welcome.reattached).toEqual([{ jobId, attempt: a.attempt }]);
    expect(welcome.refused).toEqual([]);
    // The reattached lease fills its only slot: nothing else is assigned.
    expect(again.all('assignments')).toEqual([]);
    again.result(jobId, a.attempt, 'kept');
    expect((await again.ack(jobId, a.attempt)).accepted).toBe(true);
    const done = await waitForStatus(cluster, jobId, 'completed');
    expect(done.attempts.map((x) => [x.number, x.workerId, x.outcome])).toEqual([[1, 'flaky', 'completed']]);
    expect(done.failures).toBe(0);
  });

  it('given a worker that disconnects, when it comes back after the timeout, then its lease is refused and the job is dispatched again as attempt 2', async () => {
    cluster = await startCluster({ master: FAST_HEARTBEATS });
    const first = await hand('late');
    const jobId = await submit(cluster, { type: 'echo', payload: payload(1) });
    await first.assignment();
    first.disconnect();
    await waitForStatus(cluster, jobId, 'queued');

    const again = await hand('late', { held: [{ jobId, attempt: 1 }] });
    expect((await again.welcome()).refused).toEqual([{ jobId, attempt: 1 }]);
    const retry = await again.assignment();
    expect(retry).toMatchObject({ jobId, attempt: 2 });
  });

  it('given a worker that restarts without its lease, when it says Hello, then the old attempt is lost at once and the job comes back', async () => {
    cluster = await startCluster();
    const first = await hand('restarted');
    const jobId = await submit(cluster, { type: 'echo', payload: payload(1) });
    await first.assignment();
    first.close();
    await waitForCondition(async () => (await cluster!.client.call('getStats', {})).workers.length === 0);
    const again = await hand('restarted');
    const retry = await again.assignment();
    expect(retry).toMatchObject({ jobId, attempt: 2 });
    const job = await getJob(cluster, jobId);
    expect(job.attempts.map((a) => a.outcome)).toEqual(['lost', 'running']);
  });
});

describe('one live session per worker id, leases bound to their process', () => {
  it('given a live worker running a job, when another stream says Hello with its id and lease but not its secret, then it is refused ALREADY_EXISTS naming the pid and host, and the real worker keeps the job and its result is stored', async () => {
    cluster = await startCluster();
    const g = gate();
    const real = await cluster.addWorker({ id: 'real', concurrency: 1 }, { echo: g.handler });
    await connected(real);
    const jobId = await submit(cluster, { type: 'echo', payload: payload('true result') });
    await waitForCondition(() => g.started.length === 1);

    const forger = HandWorker.open(cluster.address, { workerId: 'real', held: [{ jobId, attempt: 1 }], sessionSecret: 'forger-secret-0123456789' });
    hands.push(forger);
    await waitForEnded(forger);
    expect(forger.ended).toMatch(new RegExp(`^worker id "real" is in use by pid ${process.pid} on host \\S+ \\(connected \\d+s ago\\)`));
    expect(forger.all('welcome')).toEqual([]);
    // A forged result from a stream of another id is refused too.
    const other = await hand('other');
    other.result(jobId, 1, 'FORGED');
    expect((await other.ack(jobId, 1)).accepted).toBe(false);

    g.release();
    const done = await waitForStatus(cluster, jobId, 'completed');
    expect(JSON.parse(Buffer.from(done.result).toString())).toBe('true result');
    expect(done.attempts.map((a) => [a.number, a.workerId, a.outcome])).toEqual([[1, 'real', 'completed']]);
    expect(real.isConnected).toBe(true);
  });

  it('given a worker whose stream closed, when a stream with its id but another secret claims its lease, then the lease is refused, the forged result is not stored and the attempt ends lost', async () => {
    cluster = await startCluster();
    const victim = await hand('victim', { sessionSecret: SECRET });
    const jobId = await submit(cluster, { type: 'echo', payload: payload(1) });
    const a = await victim.assignment();
    victim.close();
    await waitForCondition(async () => (await cluster!.client.call('getStats', {})).workers.length === 0);

    const forger = await hand('victim', { held: [{ jobId, attempt: a.attempt }], sessionSecret: 'forger-secret-0123456789' });
    const welcome = await forger.welcome();
    expect(welcome.reattached).toEqual([]);
    expect(welcome.refused).toEqual([{ jobId, attempt: a.attempt }]);
    forger.result(jobId, a.attempt, 'FORGED');
    expect((await forger.ack(jobId, a.attempt)).accepted).toBe(false);
    const job = await waitForValue(async () => {
      const j = await getJob(cluster!, jobId);
      return j.attempts.length >= 1 && j.attempts[0].outcome === 'lost' ? j : null;
    });
    expect(job.attempts[0]).toMatchObject({ number: 1, workerId: 'victim', outcome: 'lost' });
    expect(Buffer.from(job.result).toString()).not.toContain('FORGED');
  });

  it('given a live worker whose network blipped, when the same process reconnects with its secret before the master saw the old stream die, then it takes over at once and keeps its lease', async () => {
    cluster = await startCluster({ master: { 'heartbeat-interval': '1s', 'heartbeat-timeout': '30s' } });
    const before = await hand('blip', { sessionSecret: SECRET });
    const jobId = await submit(cluster, { type: 'echo', payload: payload('kept') });
    const a = await before.assignment();

    const after = await hand('blip', { held: [{ jobId, attempt: a.attempt }], sessionSecret: SECRET });
    expect((await after.welcome()).reattached).toEqual([{ jobId, attempt: a.attempt }]);
    // The old stream is ended by the master: it is the same process, now on the new stream.
    await waitForEnded(before);
    after.result(jobId, a.attempt, 'kept');
    expect((await after.ack(jobId, a.attempt)).accepted).toBe(true);
    const done = await waitForStatus(cluster, jobId, 'completed');
    expect(done.attempts.map((x) => [x.number, x.workerId, x.outcome])).toEqual([[1, 'blip', 'completed']]);
  });

  it('given a worker holding a lease, when the master restarts, then the process with its secret reattaches the lease', async () => {
    cluster = await startCluster({ master: { 'heartbeat-interval': '1s', 'heartbeat-timeout': '30s' } });
    const holder = await hand('holder', { sessionSecret: SECRET });
    const jobId = await submit(cluster, { type: 'echo', payload: payload('kept') });
    const a = await holder.assignment();
    holder.close();
    await cluster.restartMaster();

    const back = await hand('holder', { held: [{ jobId, attempt: a.attempt }], sessionSecret: SECRET });
    expect((await back.welcome()).reattached).toEqual([{ jobId, attempt: a.attempt }]);
    back.result(jobId, a.attempt, 'kept');
    expect((await back.ack(jobId, a.attempt)).accepted).toBe(true);
    const done = await waitForStatus(cluster, jobId, 'completed');
    expect(done.attempts.map((x) => [x.number, x.workerId, x.outcome])).toEqual([[1, 'holder', 'completed']]);
  });
});

describe('goodbye', () => {
  it('given a worker that stops before starting a job, when it says goodbye with the lease, then the job is queued at once with no failure counted', async () => {
    cluster = await startCluster();
    const leaving = await hand('leaving');
    const jobId = await submit(cluster, { type: 'echo', payload: payload(1) });
    const a = await leaving.assignment();
    leaving.goodbye([{ jobId, attempt: a.attempt }]);
    const job = await waitForStatus(cluster, jobId, 'queued', 2000);
    expect(job.failures).toBe(0);
    expect(job.attempts.map((x) => x.outcome)).toEqual(['returned']);
  });
});

const SECRET = 'the-worker-process-secret-0123';

function waitForValue<T>(check: () => T | Promise<T>): Promise<NonNullable<T>> {
  return waitFor(check, 'the condition', 10_000);
}

async function waitForCondition(check: () => boolean | Promise<boolean>): Promise<void> {
  await waitFor(check, 'the condition', 10_000);
}

function waitForEnded(worker: HandWorker): Promise<void> {
  return waitForCondition(() => worker.ended !== null);
}

function waitForAcks(worker: HandWorker, jobId: string, attempt: number, count: number): Promise<void> {
  return waitForCondition(() => worker.all('acks').flatMap((m) => m.acks).filter((a) => a.jobId === jobId && a.attempt === attempt).length >= count);
}
