/**
 * The worker runtime and refusals: a Hello the master cannot take ends the worker's reconnecting
 * (its `refused` promise settles with the master's reason). The CLI checks --id and --queues
 * itself, so this path is reached by a library user, or by a master stricter than its workers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { Worker } from '../../src/worker/worker.js';
import { builtinHandlers } from '../../src/handlers/builtin.js';
import { silentLogger } from '../../src/log.js';
import { ErrorCode } from '../../src/errors.js';

let cluster: TestCluster | null = null;
const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop(0)));
  await cluster?.close();
  cluster = null;
});

function worker(id: string, queues = ['default']): Worker {
  const w = new Worker({ id, master: cluster!.address, concurrency: 1, queues, handlers: { noop: builtinHandlers.noop }, logger: silentLogger });
  workers.push(w);
  w.start();
  return w;
}

describe('worker refusals', () => {
  it('given a Hello the master refuses as invalid (a bad worker id, a bad queue name), then the worker stops reconnecting and says why', async () => {
    cluster = await startCluster();
    for (const [w, field] of [
      [worker('bad id!'), 'hello.worker_id'],
      [worker('ok', ['no way']), 'hello.queues[0]'],
    ] as const) {
      const refusal = await Promise.race([w.refused, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
      expect(refusal?.code).toBe(ErrorCode.Refused);
      expect(refusal?.message).toContain(`the master at ${cluster.address} refused this worker: ${field}`);
    }
    // And nothing connected meanwhile.
    expect((await cluster.client.call('getStats', {})).workers).toEqual([]);
  });

});
