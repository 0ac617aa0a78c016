/**
 * A gRPC port taken between the master's check and its bind: the failure is one error naming
 * the port and the flag, and grpc-js writes nothing of its own about it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer, type Server } from 'node:net';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { startGrpcServer } from '../../src/rpc/server.js';
import { silentLogger } from '../../src/log.js';

let cluster: TestCluster | null = null;
let taken: Server | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  await cluster?.close();
  cluster = null;
  await new Promise((resolve) => (taken ? taken.close(resolve) : resolve(undefined)));
  taken = null;
});

describe('listening', () => {
  it('given a port another process listens on, when a gRPC server binds it, then the error says the port is in use and names --port, and grpc-js logs no "No address added" line', async () => {
    cluster = await startCluster();
    taken = createServer();
    await new Promise<void>((resolve) => taken!.listen(0, '127.0.0.1', () => resolve()));
    const port = (taken.address() as { port: number }).port;
    const logged: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
    await expect(startGrpcServer(cluster.running.master, silentLogger, { host: '127.0.0.1', port, maxMessageBytes: 1 << 20 })).rejects.toThrow(
      `cannot listen for gRPC on 127.0.0.1:${port}: the port is in use; choose another --port`,
    );
    expect(logged).toEqual([]);
  });
});
