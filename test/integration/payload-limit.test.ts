/**
 * A payload over the master's limit, as a client meets it: over gRPC the transport refuses a
 * message past --max-payload plus 64 KiB before any handler reads it, and the client turns
 * grpc-js's "Received message larger than max (X vs Y)" into a line naming --max-payload and the
 * limit; GetStats tells clients the limit, so that the CLI can check before sending.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../helpers/cluster.js';

let cluster: TestCluster | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

describe('payload limit over gRPC', () => {
  it('given the default --max-payload, when a 2 MB payload is sent, then the error names --max-payload and both sizes, and GetStats gives the limit', async () => {
    cluster = await startCluster();
    expect(Number((await cluster.client.call('getStats', {})).maxPayloadBytes)).toBe(1024 * 1024);
    const error = await cluster.client.call('submitJob', { job: { type: 'echo', payload: Buffer.alloc(2_000_000, 'a') } }).then(
      () => null,
      (e: { code: string; message: string }) => e,
    );
    expect(error?.code).toBe('RESOURCE_EXHAUSTED');
    expect(error?.message).toMatch(/^the request is 20000\d\d bytes, over the master's limit of 1114112 bytes for one message \(its --max-payload, 1048576 bytes, plus 64 KiB\): send a smaller payload, or start the master with a larger --max-payload$/);
    expect(Number((await cluster.client.call('getStats', {})).submittedTotal)).toBe(0);
  });
});
