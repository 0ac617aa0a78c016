/**
 * WatchEvents readers that stop reading: each reader's buffer is capped, and so is the sum over
 * all readers; past that sum the reader furthest behind is dropped with RESOURCE_EXHAUSTED and a
 * message saying why, while readers that keep up lose nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Metadata, type ClientReadableStream } from '@grpc/grpc-js';
import { startCluster, waitFor, type TestCluster } from '../helpers/cluster.js';
import { WatchEventsRequest, type JobEvents } from '../../src/rpc/generated/nucleus/v1/jobs.js';
import { WatchBudget, type WatchReader } from '../../src/master/events.js';
import { stalledWatcher, type StalledWatcher } from '../helpers/stalled-watcher.js';
import { WATCH_MAX_TOTAL_BUFFER } from '../../src/rpc/job-service.js';

let cluster: TestCluster | null = null;
const streams: Array<ClientReadableStream<JobEvents>> = [];
const stalledOnes: StalledWatcher[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.cancel();
  for (const s of stalledOnes.splice(0)) s.close();
  await cluster?.close();
  cluster = null;
});

interface Watched {
  events: number;
  dropped: number;
  status: { code: number; details: string } | null;
}

/** A reader that keeps up: a normal client. */
function liveReader(c: TestCluster): Watched {
  const stream = c.client.raw.watchEvents(WatchEventsRequest.fromPartial({}), new Metadata());
  streams.push(stream);
  const w: Watched = { events: 0, dropped: 0, status: null };
  stream.on('data', (m: JobEvents) => {
    w.events += m.events.length;
    w.dropped += m.dropped;
  });
  stream.on('error', (e: { code: number; details: string }) => (w.status ??= { code: e.code, details: e.details }));
  return w;
}

describe('WatchEvents: slow readers', () => {
  it('given eight readers that stop reading and one that keeps up, when 60,000 jobs are submitted, then the stalled ones furthest behind are dropped RESOURCE_EXHAUSTED with the reason, and the live one stays and accounts for every event', async () => {
    cluster = await startCluster();
    const c = cluster;
    const live = liveReader(c);
    const stalled = Array.from({ length: 8 }, () => stalledWatcher(c.address));
    stalledOnes.push(...stalled);
    // Given every stream is open (a first event reaches the live reader).
    await c.client.call('submitJob', { job: { type: 'echo' } });
    await waitFor(() => live.events >= 1, 'the live reader to see the first job');

    const JOBS = 60_000;
    for (let sent = 0; sent < JOBS; sent += 5_000) {
      await c.client.call('submitJobs', { jobs: Array.from({ length: 5_000 }, () => ({ type: 'echo' })) }, 60_000);
    }
    // Then the reader that keeps up is never dropped, and accounts for every event: it got it, or
    // (when a 5,000-job burst met its own cap) was told how many it missed.
    await waitFor(() => live.events + live.dropped >= JOBS + 1, `the live reader to account for all ${JOBS + 1} events (has ${live.events} + ${live.dropped} dropped)`, 60_000);
    expect(live.events + live.dropped).toBe(JOBS + 1);
    expect(live.status).toBeNull();

    // Then the stalled readers are told why once they read again; at least three had to go for
    // the rest (each capped at 10,000) to fit in the shared ceiling.
    for (const s of stalled) s.resume();
    await waitFor(() => stalled.filter((s) => s.status() !== null).length >= 3, 'stalled readers to be dropped', 30_000);
    const droppedReaders = stalled.filter((s) => s.status() !== null);
    for (const s of droppedReaders) {
      expect(s.status()!.code).toBe(8); // RESOURCE_EXHAUSTED
      expect(s.status()!.details).toMatch(new RegExp(`^WatchEvents: this reader fell \\d+ events behind while the master's buffers for all readers were full \\(${WATCH_MAX_TOTAL_BUFFER} events\\)`));
    }
  });
});

describe('WatchBudget', () => {
  const reader = (name: string, evicted: string[]) => {
    const r = { name, n: 0, since: Infinity };
    const view: WatchReader = { buffered: () => r.n, oldest: () => r.since, evict: () => evicted.push(name) };
    return { r, view };
  };

  it('drops the reader whose oldest held event is oldest when the total passes the limit, only as many as needed, even if another holds more', () => {
    const budget = new WatchBudget(10);
    const evicted: string[] = [];
    const old = reader('old', evicted);
    const busy = reader('busy', evicted);
    budget.join(old.view);
    budget.join(busy.view);
    old.r.since = budget.clock;
    old.r.n = 3;
    budget.grew(3);
    busy.r.since = budget.clock;
    busy.r.n = 7;
    budget.grew(7);
    expect(evicted).toEqual([]);
    busy.r.n = 8;
    budget.grew(1);
    expect(evicted).toEqual(['old']);
    expect(budget.buffered).toBe(8);
    expect(budget.readerCount).toBe(1);
    budget.leave(busy.view);
    expect(budget.buffered).toBe(0);
  });
});
