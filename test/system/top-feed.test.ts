/**
 * The data layer of `nucleus top` against a real master and workers over loopback gRPC: what it
 * publishes, how often, and how it behaves when the master goes away and comes back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, waitFor, json, type TestCluster } from '../helpers/cluster.js';
import { ClusterFeed } from '../../src/tui/cluster-feed.js';
import { MasterClient } from '../../src/rpc/client.js';
import { resolveMasterConfig } from '../../src/config.js';
import { startMaster } from '../../src/services/master.js';
import { silentLogger } from '../../src/log.js';
import type { ClusterData } from '../../src/tui/model.js';

let cluster: TestCluster | null = null;
let feed: ClusterFeed | null = null;
let client: MasterClient | null = null;

afterEach(async () => {
  feed?.stop();
  client?.close();
  await cluster?.close();
  feed = null;
  client = null;
  cluster = null;
});

/** Starts a feed on the cluster and records every update it publishes, with the local time. */
function watch(c: TestCluster, options: ConstructorParameters<typeof ClusterFeed>[2] = {}) {
  client = new MasterClient({ address: c.address });
  feed = new ClusterFeed(client, c.address, { statsEveryMs: 200, jobsEveryMs: 300, jobsMinGapMs: 100, reconnectEveryMs: 200, ...options });
  const updates: Array<{ at: number; data: ClusterData }> = [];
  feed.subscribe((data) => updates.push({ at: Date.now(), data }));
  feed.start();
  return { feed, updates, last: () => updates.at(-1)?.data };
}

describe('cluster feed', () => {
  it('Given a master with workers, When jobs run, Then the feed shows the workers, moving counts, throughput, queue rates and the jobs page', async () => {
    cluster = await startCluster();
    await cluster.addWorker({ id: 'feed-w1', queues: 'default,mail' });
    await cluster.addWorker({ id: 'feed-w2', queues: 'default,mail' });
    const w = watch(cluster);
    await waitFor(() => w.last()?.workers.length === 2, 'both workers in the feed');
    expect(w.last()!.workers.map((x) => x.id)).toEqual(['feed-w1', 'feed-w2']);
    expect(w.last()!.connection).toEqual({ state: 'connected' });

    // When jobs are submitted for a couple of seconds
    const deadline = Date.now() + 2_000;
    while (Date.now() < deadline) {
      await cluster.client.call('submitJobs', { jobs: Array.from({ length: 20 }, (_, i) => ({ type: 'noop', queue: i % 2 ? 'mail' : 'default', payload: json(null) })) });
      await new Promise((r) => setImmediate(r));
    }
    // Then the feed shows them finishing: totals, a rate, per-queue rates from the event stream
    const moving = await waitFor(() => {
      const d = w.last();
      return d?.overview && d.overview.counts.completed > 0 && (d.overview.finishedPerSec ?? 0) > 0 && d.queues.some((q) => q.name === 'mail' && (q.finishedPerSec ?? 0) > 0) ? d : null;
    }, 'throughput and per-queue rates');
    expect(moving.streaming).toBe(true);
    expect(moving.overview!.finishedHistory.length).toBeGreaterThan(0);
    expect(moving.queues.map((q) => q.name)).toEqual(['default', 'mail']);

    // And the jobs page follows the query: completed jobs of the mail queue only, at most one page
    w.feed.setQuery({ status: 'completed', queue: 'mail', type: null, workerId: null, detailJobId: null });
    const page = await waitFor(() => (w.last()?.jobs.status === 'completed' && w.last()!.jobs.loaded && w.last()!.jobs.rows.length > 0 ? w.last()!.jobs : null), 'completed jobs of mail');
    expect(page.rows.every((r) => r.queue === 'mail' && r.status === 'completed')).toBe(true);
    expect(page.rows.length).toBeLessThanOrEqual(200);
  });

  it('Given jobs finishing continuously, When the feed publishes, Then it publishes at most about 10 updates a second', async () => {
    cluster = await startCluster();
    await cluster.addWorker({ id: 'rate-w1', concurrency: 16 });
    const w = watch(cluster, { statsEveryMs: 50, jobsEveryMs: 50, jobsMinGapMs: 0 });
    await waitFor(() => w.last()?.connection.state === 'connected', 'connected');
    const start = Date.now();
    const before = w.updates.length;
    while (Date.now() - start < 2_000) {
      await cluster.client.call('submitJobs', { jobs: Array.from({ length: 50 }, () => ({ type: 'noop', payload: json(null) })) });
    }
    const published = w.updates.slice(before);
    // Polls every 50 ms plus a stream of events would mean 40+ updates a second without the throttle.
    expect(published.length).toBeGreaterThan(5);
    expect(published.length).toBeLessThanOrEqual(Math.ceil((Date.now() - start) / 100) + 1);
    const gaps = published.slice(1).map((u, i) => u.at - published[i].at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(95);
  });

  it('Given the master goes away, Then the feed says lost with the reason and keeps the figures; When it is back, Then it reconnects by itself', async () => {
    cluster = await startCluster();
    await cluster.addWorker({ id: 'lost-w1', queues: 'default,after' });
    await cluster.client.call('submitJob', { job: { type: 'noop', payload: json(null) } });
    const w = watch(cluster);
    await waitFor(() => (w.last()?.overview?.submittedTotal ?? 0) >= 1, 'first figures');
    const port = cluster.running.grpcPort;

    // When the master stops
    await cluster.running.stop();
    const lost = await waitFor(() => (w.last()?.connection.state === 'lost' ? w.last() : null), 'the feed to report the master lost');
    expect(lost.connection).toMatchObject({ state: 'lost', error: expect.stringMatching(/master at 127\.0\.0\.1:\d+/) });
    expect(lost.overview?.submittedTotal).toBe(1);
    await waitFor(() => w.last()?.connection.state === 'lost' && (w.last()!.connection as { attempts: number }).attempts >= 2, 'retries counted');

    // When a master is back on the same port with the same store
    const config = resolveMasterConfig({ host: '127.0.0.1', port, 'http-port': 0, db: cluster.dbPath }, {});
    cluster.running = await startMaster(config, silentLogger);
    const back = await waitFor(() => (w.last()?.connection.state === 'connected' && w.last()!.overview!.startedAtMs !== lost.overview!.startedAtMs ? w.last() : null), 'reconnected', 15_000);
    expect(back.overview!.counts.completed).toBe(1);
    // And the event stream is open again: a job of a queue first used now shows in that queue's
    // rate, which only the stream feeds.
    await cluster.client.call('submitJob', { job: { type: 'noop', queue: 'after', payload: json(null) } });
    await waitFor(() => (w.last()?.queues.find((q) => q.name === 'after')?.finishedPerSec ?? 0) > 0, 'the new job seen on the reopened stream', 15_000);
  });
});
