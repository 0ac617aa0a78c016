/**
 * Authentication over real gRPC and HTTP: a master started with a token refuses every call that
 * carries none or another one, with UNAUTHENTICATED and a message that says which, before any
 * handler runs; the store is compared row by row before and after to show nothing was written.
 * With a separate worker token, neither token opens the other role's door.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeGenericClientConstructor, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { startCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { startHttpCluster } from './http-helpers.js';
import { storeSnapshot } from '../chaos/store-snapshot.js';
import { MasterClient, workerClient } from '../../src/rpc/client.js';
import { Hello, type MasterMessage } from '../../src/rpc/generated/nucleus/v1/worker.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';
import type { MasterFlags } from '../../src/config.js';

const CLIENT_TOKEN = 'client-token-0123456789abcdef';
const WORKER_TOKEN = 'worker-token-0123456789abcdef';
const job = { type: 'echo', payload: Buffer.from('{"hello":"world"}') };

let cluster: (TestCluster & { base?: string }) | null = null;
const closers: Array<() => void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await cluster?.close();
  cluster = null;
});

function client(token?: string): MasterClient {
  const c = new MasterClient({ address: cluster!.address, timeoutMs: 5_000, token });
  closers.push(() => c.close());
  return c;
}

/** The error a call ends with (fails the test when it succeeds). */
async function refusal(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  const outcome = await call.then(
    () => null,
    (error: { code: string; message: string }) => error,
  );
  if (outcome === null) throw new Error('the call succeeded but should have been refused');
  return outcome;
}

/** Every unary JobService method and the client's streamed submit, each with a request that would succeed with the right token. */
function everyUnaryCall(c: MasterClient, jobId: string): Array<[string, Promise<unknown>]> {
  return [
    ['submitJob', c.call('submitJob', { job })],
    ['submitJobs', c.call('submitJobs', { jobs: [job, job] })],
    ['getJobStatus', c.call('getJobStatus', { jobId })],
    ['getJobResult', c.call('getJobResult', { jobId })],
    ['cancelJob', c.call('cancelJob', { jobId })],
    ['retryJob', c.call('retryJob', { status: JobStatus.JOB_STATUS_CANCELLED })],
    ['listJobs', c.call('listJobs', {})],
    ['pauseQueue', c.call('pauseQueue', { queue: 'default', paused: true })],
    ['getStats', c.call('getStats', {})],
    ['submit (SubmitStream)', c.submit(job)],
  ];
}

/** Opens WatchEvents and resolves with the status it ends with. */
function watchStatus(c: MasterClient): Promise<ServiceError> {
  return new Promise((resolve) => {
    const stream = c.raw.watchEvents({ queues: [] });
    stream.on('data', () => undefined);
    stream.on('error', (error: ServiceError) => resolve(error));
  });
}

/**
 * Opens a raw worker stream with a token, says Hello, and resolves with how the master answered.
 * Its job type exists nowhere, so that a welcomed probe is never handed a job it would strand.
 */
function workerHello(token: string | undefined, workerId: string): Promise<{ welcomed: boolean; error: ServiceError | null }> {
  const wc = workerClient(cluster!.address, undefined, { token });
  closers.push(() => wc.close());
  return new Promise((resolve) => {
    const stream = wc.connect();
    stream.on('data', (m: MasterMessage) => {
      if (m.msg?.$case === 'welcome') {
        resolve({ welcomed: true, error: null });
        stream.cancel();
      }
    });
    stream.on('error', (error: ServiceError) => resolve({ welcomed: false, error }));
    stream.write({ msg: { $case: 'hello', value: Hello.fromPartial({ workerId, concurrency: 1, jobTypes: ['auth-probe'] }) } });
  });
}

async function authCluster(master: MasterFlags): Promise<{ jobId: string; good: MasterClient }> {
  cluster = await startCluster({ master });
  const good = client(CLIENT_TOKEN);
  const { jobId } = await good.call('submitJob', { job });
  return { jobId, good };
}

describe('auth: one shared token', () => {
  it('given a master with --token, when every JobService method is called without a token, then each is UNAUTHENTICATED "missing token" and the store is unchanged', async () => {
    const { jobId } = await authCluster({ token: CLIENT_TOKEN });
    const before = storeSnapshot(cluster!.dbPath);

    for (const [method, call] of everyUnaryCall(client(), jobId)) {
      const error = await refusal(call);
      expect(error.code, method).toBe('UNAUTHENTICATED');
      expect(error.message, method).toMatch(/^missing token: nucleus\.v1\.JobService on this master requires a token/);
    }
    const stream = await watchStatus(client());
    expect(stream.code).toBe(GrpcStatus.UNAUTHENTICATED);

    expect(storeSnapshot(cluster!.dbPath)).toEqual(before);
    expect(cluster!.running.master.stats().queues.find((q) => q.name === 'default')?.paused).toBe(false);
  });

  it('given a master with --token, when every JobService method is called with another token, then each is UNAUTHENTICATED "wrong token" and the store is unchanged', async () => {
    const { jobId } = await authCluster({ token: CLIENT_TOKEN });
    const before = storeSnapshot(cluster!.dbPath);
    // Same length, one character off: the comparison must not stop at the length.
    const wrong = `${CLIENT_TOKEN.slice(0, -1)}0`;
    for (const [method, call] of everyUnaryCall(client(wrong), jobId)) {
      const error = await refusal(call);
      expect(error.code, method).toBe('UNAUTHENTICATED');
      expect(error.message, method).toBe('wrong token for nucleus.v1.JobService');
    }
    expect((await watchStatus(client(wrong))).code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(storeSnapshot(cluster!.dbPath)).toEqual(before);
  });

  it('given a master with --token, when a client sends the token, then every method works as without auth', async () => {
    const { jobId, good } = await authCluster({ token: CLIENT_TOKEN });
    const results = await Promise.allSettled(everyUnaryCall(good, jobId).map(([, call]) => call));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill('fulfilled'));
    expect(storeSnapshot(cluster!.dbPath).jobs).toBe(5);
  });

  it('given a master with --token, when workers connect without the token and with it, then only the one with it is welcomed and runs the job', async () => {
    const { jobId, good } = await authCluster({ token: CLIENT_TOKEN });
    const without = await workerHello(undefined, 'intruder');
    expect(without.welcomed).toBe(false);
    expect(without.error?.code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(without.error?.details).toMatch(/^missing token: nucleus\.v1\.WorkerService on this master requires the worker token/);
    await cluster!.addWorker({ id: 'with-token', token: CLIENT_TOKEN });
    const done = await waitFor(async () => {
      const { job: j } = await good.call('getJobStatus', { jobId });
      return j?.status === JobStatus.JOB_STATUS_COMPLETED ? j : null;
    }, 'the job to complete on the worker with the token');
    expect(done.workerId).toBe('with-token');
    expect((await good.call('getStats', {})).workers.map((w) => w.id)).toEqual(['with-token']);
  });

  it('given a master with --token, when a health check carries no token, then it is answered SERVING (probes stay open)', async () => {
    await authCluster({ token: CLIENT_TOKEN });
    const Health = makeGenericClientConstructor(healthService as never, 'Health');
    const health = new Health(cluster!.address, (await import('@grpc/grpc-js')).credentials.createInsecure()) as unknown as {
      check(req: { service: string }, cb: (e: ServiceError | null, r: { status: string }) => void): void;
      close(): void;
    };
    closers.push(() => health.close());
    const answer = await new Promise<{ status: string }>((resolve, reject) => health.check({ service: '' }, (e, r) => (e ? reject(e) : resolve(r))));
    expect(answer.status).toBe('SERVING');
  });
});

describe('auth: separate client and worker tokens', () => {
  it('given --token and --worker-token, when each token is used at the other door, then both are UNAUTHENTICATED, nothing is written, and each works at its own', async () => {
    const { jobId, good } = await authCluster({ token: CLIENT_TOKEN, 'worker-token': WORKER_TOKEN });
    const before = storeSnapshot(cluster!.dbPath);

    // A submitter cannot pose as a worker.
    const posing = await workerHello(CLIENT_TOKEN, 'posing-submitter');
    expect(posing.error?.code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(posing.error?.details).toBe('wrong token: the client token cannot connect as a worker; nucleus.v1.WorkerService needs the worker token');
    // A worker host cannot submit (or read, cancel, ...).
    const asWorker = client(WORKER_TOKEN);
    for (const [method, call] of everyUnaryCall(asWorker, jobId)) {
      const error = await refusal(call);
      expect(error.code, method).toBe('UNAUTHENTICATED');
      expect(error.message, method).toBe('wrong token: the worker token cannot call nucleus.v1.JobService; use the client token');
    }
    expect((await good.call('getStats', {})).workers).toEqual([]);
    expect(storeSnapshot(cluster!.dbPath)).toEqual(before);

    // Each token at its own door.
    expect((await workerHello(WORKER_TOKEN, 'hand')).welcomed).toBe(true);
    await cluster!.addWorker({ id: 'real', token: WORKER_TOKEN });
    await waitFor(async () => (await good.call('getJobStatus', { jobId })).job?.status === JobStatus.JOB_STATUS_COMPLETED, 'the job to complete');
  });
});

describe('auth: the REST gateway', () => {
  const headers = (token?: string): Record<string, string> => ({ 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) });
  const rest = (path: string, init: { method?: string; token?: string; body?: unknown } = {}) =>
    fetch(`${cluster!.base}${path}`, { method: init.method ?? 'GET', headers: headers(init.token), body: init.body === undefined ? undefined : JSON.stringify(init.body) });

  it('given a master with --token, when REST calls carry no token or a wrong one, then they get 401 UNAUTHENTICATED and nothing is written; /healthz and /metrics stay open', async () => {
    cluster = await startHttpCluster({ token: CLIENT_TOKEN });
    const before = storeSnapshot(cluster.dbPath);
    for (const token of [undefined, `${CLIENT_TOKEN}x`, WORKER_TOKEN]) {
      for (const [method, path] of [['POST', '/v1/jobs'], ['POST', '/submit_job'], ['GET', '/v1/jobs'], ['GET', '/v1/jobs/1'], ['POST', '/v1/jobs/1/cancel'], ['GET', '/v1/stats'], ['POST', '/v1/queues/default/pause'], ['GET', '/no/such/route']]) {
        const reply = await rest(path, { method, token, body: method === 'POST' ? job : undefined });
        expect(reply.status, `${method} ${path}`).toBe(401);
        const body = (await reply.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('UNAUTHENTICATED');
        expect(body.error.message).toMatch(token ? /^wrong token for the REST API$/ : /^missing token: the REST API on this master requires a token/);
      }
    }
    expect(storeSnapshot(cluster.dbPath)).toEqual(before);
    expect((await rest('/healthz')).status).toBe(200);
    expect((await rest('/metrics')).status).toBe(200);

    const created = await rest('/v1/jobs', { method: 'POST', token: CLIENT_TOKEN, body: { type: 'echo', payload: { n: 1 } } });
    expect(created.status).toBe(201);
    expect(storeSnapshot(cluster.dbPath).jobs).toBe(before.jobs + 1);
  });

  it('given --protect-metrics, when /metrics and /readyz are asked without the token, then they are 401 while /healthz stays 200', async () => {
    cluster = await startHttpCluster({ token: CLIENT_TOKEN, 'protect-metrics': true });
    expect((await rest('/metrics')).status).toBe(401);
    expect((await rest('/readyz')).status).toBe(401);
    expect((await rest('/metrics', { token: CLIENT_TOKEN })).status).toBe(200);
    expect((await rest('/healthz')).status).toBe(200);
  });
});
