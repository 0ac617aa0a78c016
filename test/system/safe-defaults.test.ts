/**
 * Safe defaults of the built CLI: a master without --host listens on loopback only and says so,
 * and a worker's --metrics-port binds loopback unless --metrics-host says otherwise. Where a
 * socket listens is read from the kernel's table of TCP sockets (/proc/net/tcp, Linux).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, waitFor } from '../helpers/cluster.js';
import { freePort, killAll, spawnCli, spawnMaster, spawnWorker } from '../helpers/process.js';

const cleanups: Array<() => void> = [];
afterEach(async () => {
  await killAll();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** The local addresses of the sockets listening on `port` (IPv4 as dotted quads, IPv6 as hex). */
function listeners(port: number): string[] {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A' || !local) continue; // 0A: LISTEN
      const [hex, portHex] = local.split(':');
      if (parseInt(portHex, 16) !== port) continue;
      found.push(hex.length === 8 ? hex.match(/../g)!.reverse().map((b) => parseInt(b, 16)).join('.') : hex);
    }
  }
  return found;
}

describe('safe defaults', () => {
  it('given no --host, when the master starts, then gRPC and HTTP listen on 127.0.0.1 only and the start-up line says so', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const httpPort = await freePort();
    const proc = spawnCli(['master', '--port', '0', '--http-port', String(httpPort), '--db', join(dir.path, 'n.db'), '--log-level', 'warn']);
    const match = await proc.waitForLine(/nucleus master listening: gRPC 127\.0\.0\.1:(\d+), HTTP 127\.0\.0\.1:(\d+), store .* \(this host only; --host 0\.0\.0\.0 accepts other hosts\)/);
    expect(listeners(Number(match[1]))).toEqual(['127.0.0.1']);
    expect(listeners(httpPort)).toEqual(['127.0.0.1']);
  });

  it('given --host 0.0.0.0, then the master listens on every interface and the line does not claim otherwise', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const proc = spawnCli(['master', '--host', '0.0.0.0', '--port', '0', '--http-port', '0', '--db', join(dir.path, 'n.db'), '--log-level', 'warn']);
    const match = await proc.waitForLine(/nucleus master listening: gRPC 0\.0\.0\.0:(\d+), store \S+\n/);
    expect(listeners(Number(match[1]))).toEqual(['0.0.0.0']);
  });

  it('given --metrics-port without --metrics-host, then the worker serves /metrics on 127.0.0.1 only; with --metrics-host 0.0.0.0 on every interface', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const master = await spawnMaster({ db: join(dir.path, 'n.db') });
    const local = await freePort();
    spawnWorker({ id: 'w1', master: master.address, args: ['--metrics-port', String(local)] });
    await waitFor(() => listeners(local).length > 0, 'the worker to serve metrics', 20_000);
    expect(listeners(local)).toEqual(['127.0.0.1']);
    const all = await freePort();
    spawnWorker({ id: 'w2', master: master.address, args: ['--metrics-port', String(all), '--metrics-host', '0.0.0.0'] });
    await waitFor(() => listeners(all).length > 0, 'the second worker to serve metrics', 20_000);
    expect(listeners(all)).toEqual(['0.0.0.0']);
  });
});
