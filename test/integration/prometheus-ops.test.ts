/**
 * ops/ as shipped: promtool accepts the Prometheus config and the alert rules, the rules' own unit
 * tests pass, and the Grafana dashboard and the alerts only name metrics that a real master or
 * worker exports.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { PROJECT_ROOT } from '../helpers/process.js';
import { createHttpGateway } from '../../src/http/plugin.js';
import { serveWorkerMetrics } from '../../src/worker/worker-metrics.js';
import { silentLogger } from '../../src/log.js';
import { parseExposition } from './metrics-exposition.js';

const OPS = join(PROJECT_ROOT, 'ops');
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: PROJECT_ROOT, encoding: 'utf8' });
  if (result.error) throw new Error(`promtool is needed for this test (apt-get install prometheus): ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('ops/ for Prometheus and Grafana', () => {
  it('given ops/prometheus.yml and ops/alerts.yml, when promtool checks them, then both are valid and the rule unit tests pass', () => {
    const config = promtool('check', 'config', 'ops/prometheus.yml');
    expect(config.output).toContain('SUCCESS');
    expect(config.status).toBe(0);
    const rules = promtool('check', 'rules', 'ops/alerts.yml');
    expect(rules.output).toContain('SUCCESS: 8 rules found');
    expect(rules.status).toBe(0);
    const unit = promtool('test', 'rules', 'ops/alerts.test.yml');
    expect(unit.output).toContain('SUCCESS');
    expect(unit.status).toBe(0);
  });

  it('given the dashboard and the alerts, when their metric names are compared with a real master and worker, then every name is exported', async () => {
    const cluster: TestCluster = await startCluster({ http: createHttpGateway({ port: 0 }) });
    cleanups.push(() => cluster.close());
    const worker = await cluster.addWorker();
    const served = await serveWorkerMetrics(worker, { host: '127.0.0.1', port: 0, id: 'w1', concurrency: 4, logger: silentLogger });
    cleanups.push(() => served.stop());
    const texts = await Promise.all([cluster.running.httpPort, served.port].map(async (port) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text()));
    // Declared families count too: a histogram or labelled counter may have no sample yet.
    const exported = new Set<string>();
    for (const text of texts) {
      for (const s of parseExposition(text)) exported.add(s.name);
      for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        exported.add(m[1]);
        if (m[2] === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(`${m[1]}${suffix}`);
      }
    }

    const dashboardText = readFileSync(join(OPS, 'grafana', 'nucleus-dashboard.json'), 'utf8');
    const dashboard = JSON.parse(dashboardText) as { uid: string; panels: Array<{ id: number; type: string; targets?: Array<{ expr: string }> }> };
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.uid).toBe('nucleus-overview');
    const exprs = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...[...readFileSync(join(OPS, 'alerts.yml'), 'utf8').matchAll(/expr: (.*(?:\n {12}.*)*)/g)].map((m) => m[1]),
    ];
    const names = new Set(exprs.flatMap((e) => [...e.matchAll(/\b((?:nucleus|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1])));
    expect(names.size).toBeGreaterThan(15);
    const missing = [...names].filter((n) => !exported.has(n));
    expect(missing).toEqual([]);
    // The topics the dashboard promises: throughput, latency percentiles, queue depth, workers, retries and errors.
    for (const needed of ['nucleus_jobs_finished_total', 'nucleus_job_attempt_duration_seconds_bucket', 'nucleus_job_queue_wait_seconds_bucket', 'nucleus_queue_depth', 'nucleus_workers_connected', 'nucleus_job_retries_total']) {
      expect(dashboardText).toContain(needed);
    }
  });
});
