/**
 * The warm-ups. The master's: no-op jobs through a throw-away master on an in-memory store, over
 * loopback gRPC, to an in-process worker. The worker's: no-op jobs from a stand-in master that
 * speaks the worker protocol. Each must finish every job, leave nothing listening or running
 * behind it, and give up with a warning (never an error) when it cannot finish in time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { warmUp } from '../../src/services/warm-up.js';
import { warmUpWorker } from '../../src/services/worker.js';
import { waitFor } from '../helpers/cluster.js';

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/** Servers, sockets and timers of this process, by kind. */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

const NETWORK = ['TCPServerWrap', 'TCPSocketWrap'];
const network = (counts: Record<string, number>) => NETWORK.map((k) => counts[k] ?? 0);

let before: Record<string, number>;
afterEach(async () => {
  // Whatever the warm-up opened is closed again: no server, no connection left behind.
  await waitFor(() => JSON.stringify(network(resources())) === JSON.stringify(network(before)), 'the warm-up to close its server and connections', 5_000);
});

describe('warm-up', () => {
  it('given 3,000 jobs, when the master warms up, then all of them are done and it says so', async () => {
    before = resources();
    const { logger, lines } = capturingLogger();
    await warmUp(3_000, logger);
    await waitFor(() => lines.length > 0, 'the log line');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, msg: 'warmed up', jobs: 3_000 });
    expect(lines[0].ms).toBeGreaterThan(0);
  });

  it('given no time to finish, when the master warms up, then it gives up with one warning and returns', async () => {
    before = resources();
    const { logger, lines } = capturingLogger();
    await expect(warmUp(50_000, logger, 50)).resolves.toBeUndefined();
    await waitFor(() => lines.length > 0, 'the log line');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, msg: 'warm-up abandoned; starting anyway' });
    expect(String((lines[0].err as { message: string }).message)).toMatch(/of 50000 jobs done in 50 ms|no connection within 50 ms/);
  });

  it('given 0 jobs, when the master warms up, then nothing runs and nothing is logged', async () => {
    before = resources();
    const { logger, lines } = capturingLogger();
    await warmUp(0, logger);
    expect(resources()).toEqual(before);
    expect(lines).toEqual([]);
  });
});

describe('worker warm-up', () => {
  it('given 3,000 jobs and 8 slots, when the worker warms up, then the stand-in master gets every result and it says so', async () => {
    before = resources();
    const { logger, lines } = capturingLogger();
    await warmUpWorker(3_000, 8, logger);
    await waitFor(() => lines.length > 0, 'the log line');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, msg: 'warmed up', jobs: 3_000 });
  });

  it('given no time to finish, when the worker warms up, then it gives up with one warning and returns', async () => {
    before = resources();
    const { logger, lines } = capturingLogger();
    await expect(warmUpWorker(1_000_000, 1, logger, 50)).resolves.toBeUndefined();
    await waitFor(() => lines.length > 0, 'the log line');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, msg: 'warm-up abandoned; starting anyway' });
    expect((lines[0].err as { message: string }).message).toBe('not done in 50 ms');
  });

  it('given 0 jobs, when the worker warms up, then nothing runs and nothing is logged', async () => {
    before = resources();
    const { logger, lines } = capturingLogger();
    await warmUpWorker(0, 4, logger);
    expect(resources()).toEqual(before);
    expect(lines).toEqual([]);
  });
});
