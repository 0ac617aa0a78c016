/**
 * The worker stream's edges: malformed streams are refused with INVALID_ARGUMENT naming the field
 * while the master carries on; leases survive a master restart when their worker comes back in
 * time, and are lost when it does not; any message counts as a sign of life on the master's clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { HandWorker } from './hand-worker.js';
import { connected, gate, getJob, payload, submit, waitForStatus } from './jobs.js';
import { ManualClock } from '../../src/core/clock.js';

let cluster: TestCluster | null = null;
const hands: HandWorker[] = [];
afterEach(async () => {
  for (const h of hands.splice(0)) h.close();
  await cluster?.close();
  cluster = null;
});

function track(worker: HandWorker): HandWorker {
  hands.push(worker);
  return worker;
}

describe('malformed streams', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no job types', { workerId: 'w', jobTypes: [] }, /hello\.job_types: must name at least one job type/],
    ['concurrency 0', { workerId: 'w', concurrency: 0 }, /hello\.concurrency: must be an integer from 1 to 1024 \(got 0\)/],
    ['an empty worker id', { workerId: '' }, /hello\.worker_id: must not be empty/],
    ['a bad queue name', { workerId: 'w', queues: ['ok', 'not ok'] }, /hello\.queues\[1\]: /],
  ])('given a Hello with %s, when sent, then the stream ends with INVALID_ARGUMENT naming the field', async (_what, hello, message) => {
    cluster ??= await startCluster();
    const bad = track(HandWorker.open(cluster.address, hello));
    await waitFor(() => bad.ended, 'the stream to be refused');
    expect(bad.ended).toMatch(message);
    expect(bad.all('welcome')).toEqual([]);
  });

  it('given a stream whose first message is not Hello, when sent, then it is refused and the master keeps serving others', async () => {
    cluster = await startCluster();
    const rude = track(HandWorker.open(cluster.address, { workerId: 'rude' }, false));
    rude.send({ msg: { $case: 'heartbeat', value: { running: [] } } });
    await waitFor(() => rude.ended, 'the stream to be refused');
    expect(rude.ended).toMatch(/hello: the first message on the stream must be Hello/);
    await connected(await cluster.addWorker());
    const jobId = await submit(cluster, { type: 'echo', payload: payload(1) });
    await waitForStatus(cluster, jobId, 'completed');
  });

  it('given a second Hello on a stream, when sent, then the stream is refused and its lease waits for the worker to return', async () => {
    cluster = await startCluster();
    const twice = track(await HandWorker.connect(cluster.address, { workerId: 'twice', sessionSecret: 'twice-secret-0123456789' }));
    const jobId = await submit(cluster, { type: 'echo' });
    const a = await twice.assignment();
    twice.send({ msg: { $case: 'hello', value: twice.hello } });
    await waitFor(() => twice.ended, 'the stream to be refused');
    expect(twice.ended).toMatch(/hello: was already sent/);
    const back = track(await HandWorker.connect(cluster.address, { workerId: 'twice', held: [{ jobId, attempt: a.attempt }], sessionSecret: 'twice-secret-0123456789' }));
    expect((await back.welcome()).reattached).toEqual([{ jobId, attempt: a.attempt }]);
  });
});

describe('signs of life', () => {
  it('given a fake clock, when a worker sends only an empty message, then it counts as a sign of life at the master time', async () => {
    const clock = new ManualClock();
    cluster = await startCluster({ clock });
    const quiet = track(await HandWorker.connect(cluster.address, { workerId: 'quiet' }));
    const jobId = await submit(cluster, { type: 'echo' });
    const a = await quiet.assignment();
    clock.advance(9_000);
    quiet.send({ msg: undefined });
    const heardAt = clock.now();
    await waitFor(
      async () => (await cluster!.client.call('getStats', {})).workers.find((w) => w.id === 'quiet')?.lastHeartbeatMs === heardAt,
      'the empty message to count as a sign of life at the master time',
      3000,
    );
    // 9 s + 9 s since Hello, but only 9 s since the empty message: still alive (timeout 10 s).
    clock.advance(9_000);
    cluster.running.master.scheduler.sweep();
    expect((await getJob(cluster, jobId)).state).toBe('running');
    // Silent past the timeout: declared dead.
    clock.advance(1_001);
    cluster.running.master.scheduler.sweep();
    expect((await getJob(cluster, jobId)).state).toBe('queued');
  });
});

describe('master restart', () => {
  it('given a real worker running a job, when the master restarts, then the worker reconnects, keeps its lease and the job completes once', async () => {
    cluster = await startCluster({ master: { 'heartbeat-interval': '200ms', 'heartbeat-timeout': '5s' } });
    const held = gate();
    const worker = await cluster.addWorker({ id: 'steady' }, { hold: held.handler });
    const jobId = await submit(cluster, { type: 'hold', payload: payload('through') });
    await waitFor(() => held.started.includes(jobId), 'the handler to start');
    await cluster.restartMaster();
    await waitFor(async () => (await cluster!.client.call('getStats', {})).workers.some((w) => w.id === 'steady' && w.runningJobIds.includes(jobId)), 'the worker to reattach');
    expect(worker.busy).toBe(1);
    held.release();
    const done = await waitForStatus(cluster, jobId, 'completed');
    expect(done.attempts.map((a) => [a.number, a.workerId, a.outcome])).toEqual([[1, 'steady', 'completed']]);
    expect(held.started).toEqual([jobId]);
    expect(held.aborted).toEqual([]);
  });

  it('given a job running when the master restarts, when its worker never returns, then after the timeout it is lost and runs elsewhere', async () => {
    cluster = await startCluster({ master: { 'heartbeat-interval': '200ms', 'heartbeat-timeout': '1s' } });
    const gone = track(await HandWorker.connect(cluster.address, { workerId: 'gone' }));
    const jobId = await submit(cluster, { type: 'echo', payload: payload(1) });
    await gone.assignment();
    gone.close();
    await cluster.restartMaster();
    expect((await getJob(cluster, jobId)).state).toBe('running');
    await connected(await cluster.addWorker({ id: 'other' }));
    const done = await waitForStatus(cluster, jobId, 'completed', 5000);
    expect(done.attempts.map((a) => [a.workerId, a.outcome])).toEqual([
      ['gone', 'lost'],
      ['other', 'completed'],
    ]);
  });
});
