/**
 * The master's /metrics and job logs against a real master and real workers: exact counter values
 * for a known mix of outcomes, gauges from the scheduler's state, `promtool check metrics` on the
 * whole exposition, heartbeat timeouts from a worker that goes silent, and one log line per state
 * change (never the payload).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startCluster, tempDir, waitFor, json, type TestCluster } from '../helpers/cluster.js';
import { createHttpGateway } from '../../src/http/plugin.js';
import { MAX_SERIES, OTHER_LABEL } from '../../src/metrics.js';
import { resolveMasterConfig, resolveWorkerConfig } from '../../src/config.js';
import { startMaster, type RunningMaster } from '../../src/services/master.js';
import { startWorker } from '../../src/services/worker.js';
import { workerClient } from '../../src/rpc/client.js';
import { MasterClient } from '../../src/rpc/client.js';
import { NonRetryableError } from '../../src/handlers/handler.js';
import { JobStatus } from '../../src/rpc/generated/nucleus/v1/jobs.js';
import { parseExposition, promtoolCheckMetrics, sample } from './metrics-exposition.js';
import type { Worker } from '../../src/worker/worker.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function metricsText(httpPort: number): Promise<{ text: string; contentType: string | null }> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
  expect(response.status).toBe(200);
  return { text: await response.text(), contentType: response.headers.get('content-type') };
}

describe('master /metrics', () => {
  it('given a known mix of outcomes, when /metrics is scraped, then every counter, histogram and gauge has the exact value and promtool accepts the text', async () => {
    const cluster: TestCluster = await startCluster({ http: createHttpGateway({ port: 0 }) });
    cleanups.push(() => cluster.close());
    await cluster.addWorker({ concurrency: 4 }, {
      boom: () => {
        throw new Error('always fails');
      },
      fatal: () => {
        throw new NonRetryableError('bad input, never retried');
      },
    });
    const submit = (job: Record<string, unknown>) => cluster.client.call('submitJob', { job: { payload: json(null), ...job } as never });
    const ids = await Promise.all([
      submit({ type: 'echo' }),
      submit({ type: 'echo' }),
      submit({ type: 'echo' }),
      submit({ type: 'boom', maxRetries: 1, backoffBaseMs: 10, backoffCapMs: 20 }),
      submit({ type: 'fatal' }),
      submit({ type: 'echo', queue: 'later', delayMs: 3_600_000 }),
    ]);
    await cluster.client.call('cancelJob', { jobId: ids[5].jobId });
    for (const { jobId } of ids.slice(0, 5)) {
      const { finished } = await cluster.client.call('getJobResult', { jobId, wait: true, waitTimeoutMs: 10_000 }, 15_000);
      expect(finished).toBe(true);
    }

    const { text, contentType } = await metricsText(cluster.running.httpPort);
    expect(contentType).toContain('text/plain');
    const m = parseExposition(text);
    const d = { queue: 'default' };
    expect(sample(m, 'nucleus_jobs_submitted_total', { ...d, type: 'echo' })).toBe(3);
    expect(sample(m, 'nucleus_jobs_submitted_total', { ...d, type: 'boom' })).toBe(1);
    expect(sample(m, 'nucleus_jobs_submitted_total', { queue: 'later', type: 'echo' })).toBe(1);
    expect(sample(m, 'nucleus_jobs_finished_total', { ...d, type: 'echo', status: 'completed' })).toBe(3);
    expect(sample(m, 'nucleus_jobs_finished_total', { ...d, type: 'boom', status: 'dead_letter' })).toBe(1);
    expect(sample(m, 'nucleus_jobs_finished_total', { ...d, type: 'fatal', status: 'failed' })).toBe(1);
    expect(sample(m, 'nucleus_jobs_finished_total', { queue: 'later', type: 'echo', status: 'cancelled' })).toBe(1);
    expect(sample(m, 'nucleus_jobs_dead_letter_total', { ...d, type: 'boom' })).toBe(1);
    expect(sample(m, 'nucleus_job_retries_total', { ...d, type: 'boom' })).toBe(1);
    expect(sample(m, 'nucleus_job_retries_total', { ...d, type: 'echo' })).toBe(0);
    expect(sample(m, 'nucleus_job_attempt_duration_seconds_count', { ...d, type: 'echo' })).toBe(3);
    expect(sample(m, 'nucleus_job_attempt_duration_seconds_count', { ...d, type: 'boom' })).toBe(2);
    expect(sample(m, 'nucleus_job_attempt_duration_seconds_bucket', { ...d, type: 'echo', le: '+Inf' })).toBe(3);
    expect(sample(m, 'nucleus_job_queue_wait_seconds_count', { ...d, type: 'boom' })).toBe(2);
    expect(sample(m, 'nucleus_queue_depth', { ...d, status: 'completed' })).toBe(3);
    expect(sample(m, 'nucleus_queue_depth', { ...d, status: 'dead_letter' })).toBe(1);
    expect(sample(m, 'nucleus_queue_depth', { ...d, status: 'queued' })).toBe(0);
    expect(sample(m, 'nucleus_queue_depth', { queue: 'later', status: 'cancelled' })).toBe(1);
    expect(sample(m, 'nucleus_queue_paused', d)).toBe(0);
    expect(sample(m, 'nucleus_workers_connected', {})).toBe(1);
    expect(sample(m, 'nucleus_worker_slots', { state: 'busy' })).toBe(0);
    expect(sample(m, 'nucleus_worker_slots', { state: 'free' })).toBe(4);
    expect(sample(m, 'nucleus_worker_heartbeat_timeouts_total', {})).toBe(0);
    expect(sample(m, 'nucleus_master_state', { state: 'running' })).toBe(1);
    expect(m.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(m.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    for (const s of m) expect(Object.keys(s.labels)).not.toContain('job_id');

    const checked = promtoolCheckMetrics(text);
    expect(checked.output).toBe('');
    expect(checked.status).toBe(0);
  });

  it('given two masters in one process, when both are scraped, then each shows only its own jobs', async () => {
    const a = await startCluster({ http: createHttpGateway({ port: 0, processMetrics: false }) });
    cleanups.push(() => a.close());
    const b = await startCluster({ http: createHttpGateway({ port: 0, processMetrics: false }) });
    cleanups.push(() => b.close());
    await a.client.call('submitJob', { job: { type: 'echo', payload: json(1) } });
    await a.client.call('submitJob', { job: { type: 'echo', payload: json(2) } });
    await b.client.call('submitJob', { job: { type: 'echo', payload: json(3) } });
    const ma = parseExposition((await metricsText(a.running.httpPort)).text);
    const mb = parseExposition((await metricsText(b.running.httpPort)).text);
    expect(sample(ma, 'nucleus_jobs_submitted_total', { queue: 'default', type: 'echo' })).toBe(2);
    expect(sample(mb, 'nucleus_jobs_submitted_total', { queue: 'default', type: 'echo' })).toBe(1);
    expect(sample(mb, 'nucleus_queue_depth', { queue: 'default', status: 'queued' })).toBe(1);
  });
});

describe('metric cardinality', () => {
  it('given more distinct (queue, type) pairs than MAX_SERIES, when they are submitted, then the extra ones share the _other series', async () => {
    const cluster = await startCluster({ http: createHttpGateway({ port: 0, processMetrics: false }) });
    cleanups.push(() => cluster.close());
    const jobs = Array.from({ length: MAX_SERIES + 10 }, (_, i) => ({ type: `type${i}`, payload: json(i) }));
    await cluster.client.call('submitJobs', { jobs: jobs as never });
    const m = parseExposition((await metricsText(cluster.running.httpPort)).text);
    const submitted = m.filter((s) => s.name === 'nucleus_jobs_submitted_total');
    expect(submitted).toHaveLength(MAX_SERIES + 1);
    expect(sample(m, 'nucleus_jobs_submitted_total', { queue: OTHER_LABEL, type: OTHER_LABEL })).toBe(10);
    expect(submitted.reduce((sum, s) => sum + s.value, 0)).toBe(MAX_SERIES + 10);
  });
});

describe('heartbeat timeouts and job logs', () => {
  it('given a worker that goes silent holding a job, when it is declared dead, then the timeout and the retry are counted, the loss is a warning, and no line carries the payload', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const dir = tempDir();
    const config = resolveMasterConfig({ host: '127.0.0.1', port: 0, db: `${dir.path}/nucleus.db`, 'heartbeat-interval': '100ms', 'heartbeat-timeout': '600ms' }, {});
    const running: RunningMaster = await startMaster(config, logger, { http: createHttpGateway({ port: 0, processMetrics: false }) });
    const address = `127.0.0.1:${running.grpcPort}`;
    const client = new MasterClient({ address });
    cleanups.push(async () => {
      client.close();
      await running.stop();
      dir.cleanup();
    });

    // A worker that says Hello, takes its assignment and then says nothing more.
    const silent = workerClient(address);
    const stream = silent.connect();
    const assigned: unknown[] = [];
    stream.on('data', (m: { msg?: { $case: string } }) => m.msg?.$case === 'assignments' && assigned.push(m));
    stream.on('error', () => undefined);
    cleanups.push(() => {
      stream.cancel();
      silent.close();
    });
    stream.write({ msg: { $case: 'hello', value: { workerId: 'mute', concurrency: 1, queues: ['default'], jobTypes: ['echo'], hostname: 'h', pid: 1, version: '', held: [], sessionSecret: '' } } });
    await waitFor(() => running.master.stats().workers.length === 1, 'the silent worker to connect');

    const { jobId } = await client.call('submitJob', { job: { type: 'echo', payload: json({ secret: 's3cr3t-payload' }) } });
    await waitFor(() => assigned.length === 1, 'the job to be assigned to the silent worker');
    await waitFor(() => running.master.stats().workers.length === 0, 'the silent worker to be declared dead', 5_000);

    let real: Worker | null = null;
    real = await startWorker(resolveWorkerConfig({ id: 'real', master: address }, {}), logger.child({ role: 'worker' }));
    cleanups.push(() => real!.stop(0));
    const { job, finished } = await client.call('getJobResult', { jobId, wait: true, waitTimeoutMs: 10_000 }, 15_000);
    expect(finished).toBe(true);
    expect(job!.status).toBe(JobStatus.JOB_STATUS_COMPLETED);

    const m = parseExposition((await metricsText(running.httpPort)).text);
    expect(sample(m, 'nucleus_worker_heartbeat_timeouts_total', {})).toBe(1);
    expect(sample(m, 'nucleus_job_retries_total', { queue: 'default', type: 'echo' })).toBe(1);
    expect(sample(m, 'nucleus_jobs_finished_total', { queue: 'default', type: 'echo', status: 'completed' })).toBe(1);

    const mine = lines.filter((l) => l.component === 'jobs' && l.job === Number(jobId));
    const transitions = mine.map((l) => `${l.from}->${l.to}${l.worker ? `@${l.worker}` : ''}#${l.attempt}`);
    expect(transitions).toEqual(['new->queued#0', 'queued->running@mute#1', 'running->queued@mute#1', 'queued->running@real#2', 'running->completed@real#2']);
    const lost = mine.find((l) => l.from === 'running' && l.to === 'queued')!;
    expect(lost.level).toBe(40);
    expect(lost.error).toContain('heartbeat timeout');
    expect(mine.filter((l) => l.level === 30 || l.level === 20).length).toBe(4);
    expect(lines.some((l) => l.msg === 'worker declared dead: heartbeat timeout')).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('s3cr3t-payload');
  });

  it('given info level, when jobs run and one is dead-lettered, then only the dead letter is logged', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const dir = tempDir();
    const running = await startMaster(resolveMasterConfig({ host: '127.0.0.1', port: 0, db: `${dir.path}/n.db` }, {}), pino({ level: 'info' }, sink));
    const address = `127.0.0.1:${running.grpcPort}`;
    const client = new MasterClient({ address });
    const worker = await startWorker(resolveWorkerConfig({ id: 'w', master: address }, {}), pino({ level: 'silent' }), {
      boom: () => {
        throw new Error('nope');
      },
    });
    cleanups.push(async () => {
      await worker.stop(0);
      client.close();
      await running.stop();
      dir.cleanup();
    });
    const ok = await client.call('submitJob', { job: { type: 'echo', payload: json(1) } });
    const bad = await client.call('submitJob', { job: { type: 'boom', payload: json(1), maxRetries: 0 } });
    for (const { jobId } of [ok, bad]) await client.call('getJobResult', { jobId, wait: true, waitTimeoutMs: 10_000 }, 15_000);
    const jobLines = lines.filter((l) => l.component === 'jobs');
    expect(jobLines).toEqual([expect.objectContaining({ level: 40, job: Number(bad.jobId), from: 'running', to: 'dead_letter', worker: 'w', attempt: 1, error: 'nope' })]);
  });
});
