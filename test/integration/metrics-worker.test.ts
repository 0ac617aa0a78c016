/**
 * A worker's own /metrics: executions by type and outcome, their duration, busy slots; in process
 * against a real master, and through the built CLI's `nucleus worker --metrics-port`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, waitFor, json, type TestCluster } from '../helpers/cluster.js';
import { freePort, killAll, spawnWorker } from '../helpers/process.js';
import { serveWorkerMetrics } from '../../src/worker/worker-metrics.js';
import { silentLogger } from '../../src/log.js';
import { parseExposition, promtoolCheckMetrics, sample } from './metrics-exposition.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  await killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scrape(port: number) {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, samples: parseExposition(text) };
}

describe('worker /metrics', () => {
  it('given a worker serving metrics, when jobs complete, fail and one is held running, then executions, durations and busy slots are exact and promtool accepts them', async () => {
    const cluster: TestCluster = await startCluster();
    cleanups.push(() => cluster.close());
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const worker = await cluster.addWorker({ concurrency: 3 }, {
      hold: async () => {
        await gate;
        return 'released';
      },
      boom: () => {
        throw new Error('no');
      },
    });
    const served = await serveWorkerMetrics(worker, { host: '127.0.0.1', port: 0, id: 'w1', concurrency: 3, logger: silentLogger });
    cleanups.push(() => served.stop());

    const submit = (type: string, extra: Record<string, unknown> = {}) => cluster.client.call('submitJob', { job: { type, payload: json(5), ...extra } as never });
    const done = [await submit('echo'), await submit('echo'), await submit('boom', { maxRetries: 0 })];
    for (const { jobId } of done) await cluster.client.call('getJobResult', { jobId, wait: true, waitTimeoutMs: 10_000 }, 15_000);
    const held = await submit('hold');
    await waitFor(() => worker.busy === 1, 'the hold job to start');

    const during = await scrape(served.port);
    const w = { worker: 'w1' };
    expect(sample(during.samples, 'nucleus_worker_busy_slots', w)).toBe(1);
    expect(sample(during.samples, 'nucleus_worker_concurrency', w)).toBe(3);
    expect(sample(during.samples, 'nucleus_worker_connected', w)).toBe(1);
    expect(sample(during.samples, 'nucleus_worker_executions_total', { ...w, type: 'echo', outcome: 'completed' })).toBe(2);
    expect(sample(during.samples, 'nucleus_worker_executions_total', { ...w, type: 'boom', outcome: 'error' })).toBe(1);
    expect(sample(during.samples, 'nucleus_worker_executions_total', { ...w, type: 'hold', outcome: 'completed' })).toBe(0);
    expect(sample(during.samples, 'nucleus_worker_execution_duration_seconds_count', { ...w, type: 'echo', outcome: 'completed' })).toBe(2);

    release();
    await cluster.client.call('getJobResult', { jobId: held.jobId, wait: true, waitTimeoutMs: 10_000 }, 15_000);
    const after = await scrape(served.port);
    expect(sample(after.samples, 'nucleus_worker_busy_slots', w)).toBe(0);
    expect(sample(after.samples, 'nucleus_worker_executions_total', { ...w, type: 'hold', outcome: 'completed' })).toBe(1);
    expect(after.samples.some((s) => s.name === 'process_resident_memory_bytes' && s.labels.worker === 'w1')).toBe(true);

    const checked = promtoolCheckMetrics(after.text);
    expect(checked.output).toBe('');
    expect(checked.status).toBe(0);
    const health = await fetch(`http://127.0.0.1:${served.port}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok', state: 'running', connected: true });
  });

  it('given the built CLI, when `nucleus worker --metrics-port` runs jobs, then its /metrics counts them', async () => {
    const cluster: TestCluster = await startCluster();
    cleanups.push(() => cluster.close());
    const port = await freePort();
    spawnWorker({ id: 'cli-w', master: cluster.address, args: ['--metrics-port', String(port)] });
    await waitFor(() => cluster.running.master.stats().workers.some((w) => w.id === 'cli-w'), 'the CLI worker to connect', 20_000);
    const { jobId } = await cluster.client.call('submitJob', { job: { type: 'fibonacci', payload: json(30) } });
    await cluster.client.call('getJobResult', { jobId, wait: true, waitTimeoutMs: 10_000 }, 15_000);
    const { samples } = await waitFor(async () => {
      const s = await scrape(port);
      return sample(s.samples, 'nucleus_worker_executions_total', { type: 'fibonacci', outcome: 'completed', worker: 'cli-w' }) === 1 ? s : null;
    }, 'the CLI worker to count the job');
    expect(sample(samples, 'nucleus_worker_connected', { worker: 'cli-w' })).toBe(1);
  });
});
