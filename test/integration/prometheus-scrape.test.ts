/**
 * A real Prometheus server (the Debian `prometheus` binary) on a free loopback port scrapes a real
 * master and worker every second, with ops/alerts.yml loaded. The test runs jobs, reads
 * nucleus_jobs_* back through Prometheus's HTTP query API, watches the dead-letter alert fire, and
 * runs every query of the Grafana dashboard to show that each returns data.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, tempDir, waitFor, json, type TestCluster } from '../helpers/cluster.js';
import { freePort, PROJECT_ROOT } from '../helpers/process.js';
import { createHttpGateway } from '../../src/http/plugin.js';
import { serveWorkerMetrics } from '../../src/worker/worker-metrics.js';
import { silentLogger } from '../../src/log.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

/** Starts Prometheus with `config`; resolves with its base URL once /-/ready answers. */
async function startPrometheus(config: string): Promise<string> {
  const dir = tempDir('nucleus-prometheus-');
  const port = await freePort();
  const configPath = join(dir.path, 'prometheus.yml');
  writeFileSync(configPath, config);
  let output = '';
  const child: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${configPath}`, `--storage.tsdb.path=${join(dir.path, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => reject(new Error(`cannot run prometheus (apt-get install prometheus): ${e.message}`))));
  spawnError.catch(() => undefined);
  cleanups.push(() => {
    child.kill('SIGKILL');
    dir.cleanup();
  });
  const base = `http://127.0.0.1:${port}`;
  await Promise.race([
    spawnError,
    waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${output.slice(-2000)}`);
      return (await fetch(`${base}/-/ready`)).status === 200;
    }, 'prometheus to be ready', 30_000, 100),
  ]);
  return base;
}

async function query(base: string, promql: string): Promise<PromResult[]> {
  const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as { status: string; error?: string; data: { result: PromResult[] } };
  if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
  return body.data.result;
}

/** The single value of an instant query, or null while it has no result. */
async function scalar(base: string, promql: string): Promise<number | null> {
  const result = await query(base, promql);
  return result.length === 1 ? Number(result[0].value[1]) : null;
}

describe('Prometheus scraping a real master', () => {
  it('given Prometheus scraping a master and a worker every second, when jobs run, then nucleus_jobs_* read back exactly, the dead-letter alert fires and every dashboard query has data', async () => {
    const cluster: TestCluster = await startCluster({ http: createHttpGateway({ port: 0 }) });
    cleanups.push(() => cluster.close());
    const worker = await cluster.addWorker({ concurrency: 4 });
    const workerMetrics = await serveWorkerMetrics(worker, { host: '127.0.0.1', port: 0, id: 'w1', concurrency: 4, logger: silentLogger });
    cleanups.push(() => workerMetrics.stop());

    const base = await startPrometheus(`
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - ${join(PROJECT_ROOT, 'ops', 'alerts.yml')}
scrape_configs:
  - job_name: nucleus-master
    static_configs:
      - targets: ['127.0.0.1:${cluster.running.httpPort}']
  - job_name: nucleus-workers
    static_configs:
      - targets: ['127.0.0.1:${workerMetrics.port}']
`);
    await waitFor(async () => (await query(base, 'up == 1')).length === 2, 'both targets to be scraped up', 30_000, 200);

    // Given a job no connected worker can run, its dead-letter counter is scraped at 0 first...
    const doomed = await cluster.client.call('submitJob', { job: { type: 'boom', payload: json(null), maxRetries: 0 } });
    await waitFor(async () => (await scalar(base, 'nucleus_jobs_dead_letter_total{type="boom"}')) === 0, 'the dead-letter counter to be scraped at 0', 30_000, 200);

    // ...when 20 jobs complete and a worker that fails it arrives...
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => cluster.client.call('submitJob', { job: { type: 'echo', payload: json(i) } })));
    for (const { jobId } of ids) await cluster.client.call('getJobResult', { jobId, wait: true, waitTimeoutMs: 10_000 }, 15_000);
    await cluster.addWorker({ id: 'w2' }, {
      boom: () => {
        throw new Error('boom');
      },
    });
    await cluster.client.call('getJobResult', { jobId: doomed.jobId, wait: true, waitTimeoutMs: 10_000 }, 15_000);

    // ...then Prometheus holds the exact counts.
    const expectations: Array<[string, number]> = [
      ['sum(nucleus_jobs_submitted_total{job="nucleus-master"})', 21],
      ['nucleus_jobs_finished_total{job="nucleus-master",queue="default",type="echo",status="completed"}', 20],
      ['nucleus_jobs_finished_total{job="nucleus-master",queue="default",type="boom",status="dead_letter"}', 1],
      ['nucleus_jobs_dead_letter_total{type="boom"}', 1],
      ['nucleus_job_attempt_duration_seconds_count{type="echo"}', 20],
      ['nucleus_queue_depth{queue="default",status="completed"}', 20],
      ['nucleus_workers_connected', 2],
      ['nucleus_worker_executions_total{job="nucleus-workers",worker="w1",type="echo",outcome="completed"}', 20],
    ];
    for (const [promql, expected] of expectations) {
      await waitFor(async () => (await scalar(base, promql)) === expected, `${promql} to read ${expected} through Prometheus`, 30_000, 200);
    }

    // The dead-letter alert from ops/alerts.yml fires (it has no "for" delay).
    await waitFor(
      async () => {
        const response = await fetch(`${base}/api/v1/alerts`);
        const body = (await response.json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
        return body.data.alerts.some((a) => a.labels.alertname === 'NucleusDeadLettersRising' && a.labels.type === 'boom' && a.state === 'firing');
      },
      'NucleusDeadLettersRising to fire',
      30_000,
      200,
    );
    const rules = (await (await fetch(`${base}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } };
    const evaluated = rules.data.groups.flatMap((g) => g.rules);
    expect(evaluated.length).toBeGreaterThanOrEqual(8);
    for (const rule of evaluated) expect(`${rule.name}: ${rule.health} ${rule.lastError ?? ''}`.trim()).toBe(`${rule.name}: ok`);

    // Every query of the Grafana dashboard runs and returns data.
    const dashboard = JSON.parse(readFileSync(join(PROJECT_ROOT, 'ops', 'grafana', 'nucleus-dashboard.json'), 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(20);
    for (const { title, expr } of exprs) {
      const promql = expr
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$master_job', 'nucleus-master')
        .replaceAll('$worker_job', 'nucleus-workers')
        .replaceAll('$queue', '.*');
      expect(promql, title).not.toContain('$');
      await waitFor(async () => (await query(base, promql)).length > 0, `dashboard panel "${title}" to have data: ${promql}`, 30_000, 250);
    }
  });
});
