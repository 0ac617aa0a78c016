/**
 * One master per store file, and a failed start leaves nothing behind, through the built CLI:
 * a second master (or `nucleus dev`) on a file in use is refused at once, naming the file and
 * the holder; a holder killed with SIGKILL does not block a restart; a master or `nucleus dev`
 * whose port is taken says so in one line and leaves no store (nor a temporary directory).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../helpers/cluster.js';
import { killAll, runCli, spawnMaster } from '../helpers/process.js';
import { MasterClient } from '../../src/rpc/client.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  await killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A port held by a plain TCP listener for the length of the test. */
async function takenPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as { port: number }).port;
}

describe('store lock', () => {
  it('given a master on a store, when a second master or nucleus dev starts on the same file, then each is refused at once with one line naming the file and the holder (pid, host), exit 5, and the first keeps serving', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const db = join(dir.path, 'x.db');
    const first = await spawnMaster({ db, });
    const client = new MasterClient({ address: first.address });
    cleanups.push(() => client.close());
    await client.call('submitJob', { job: { type: 'noop' } });

    const started = Date.now();
    const second = await runCli(['master', '--host', '127.0.0.1', '--port', '0', '--http-port', '0', '--db', db]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(second.code, second.stderr).toBe(5);
    expect(second.stderr.trimEnd().split('\n'), second.stderr).toHaveLength(1);
    expect(second.stderr.trimEnd()).toMatch(
      new RegExp(`^nucleus: the job store .*x\\.db is in use by process ${first.proc.pid} on ${hostname()} \\(this host\\), since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z; stop that one first, or use another store file$`),
    );
    // Also when it asks for the ports the first one holds: the store is what to hear about.
    const samePorts = await runCli(['master', '--host', '127.0.0.1', '--port', String(first.port), '--http-port', '0', '--db', db]);
    expect(samePorts.code, samePorts.stderr).toBe(5);
    expect(samePorts.stderr.trimEnd()).toContain(`x.db is in use by process ${first.proc.pid}`);
    const dev = await runCli(['dev', '--db', db, '--port', '0', '--http-port', '0', '--workers', '0']);
    expect(dev.code, dev.stderr).toBe(5);
    expect(dev.stderr.trimEnd().split('\n'), dev.stderr).toHaveLength(1);
    expect(dev.stderr).toContain(`is in use by process ${first.proc.pid}`);

    expect((await client.call('getStats', {})).submittedTotal).toBe(1);
  });

  it('given a master killed with SIGKILL, when a master starts on its store, then it starts at once and has its jobs', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const db = join(dir.path, 'x.db');
    const first = await spawnMaster({ db, });
    const client = new MasterClient({ address: first.address });
    await client.call('submitJob', { job: { type: 'noop' } });
    client.close();
    first.proc.kill('SIGKILL');
    await first.proc.waitForExit();
    expect(existsSync(`${db}-lock`)).toBe(true);

    const second = await spawnMaster({ db, });
    const again = new MasterClient({ address: second.address });
    cleanups.push(() => again.close());
    expect((await again.call('getStats', {})).counts.reduce((n, c) => n + c.count, 0)).toBe(1);
  });
});

describe('port in use', () => {
  it('given a gRPC or HTTP port that is taken, when the master starts, then one line names the port and the flag, exit 3, and no store file is left', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const port = await takenPort();
    const grpc = await runCli(['master', '--port', String(port), '--http-port', '0', '--db', join(dir.path, 'x.db')]);
    expect(grpc.code, grpc.stderr).toBe(3);
    expect(grpc.stderr.trimEnd()).toBe(`nucleus: cannot listen for gRPC on 127.0.0.1:${port}: the port is in use; choose another --port`);
    const http = await runCli(['master', '--port', '0', '--http-port', String(port), '--db', join(dir.path, 'x.db')]);
    expect(http.code, http.stderr).toBe(3);
    expect(http.stderr.trimEnd()).toBe(`nucleus: cannot listen for HTTP on 127.0.0.1:${port}: the port is in use; choose another --http-port`);
    expect(readdirSync(dir.path)).toEqual([]);
  });

  it('given a taken port, when nucleus dev starts without --db, then one line, and its temporary store is not left behind', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const tmp = join(dir.path, 'tmp');
    mkdirSync(tmp);
    const port = await takenPort();
    const dev = await runCli(['dev', '--port', String(port), '--http-port', '0'], { env: { TMPDIR: tmp } });
    expect(dev.code, dev.stderr).toBe(3);
    expect(dev.stderr.trimEnd()).toBe(`nucleus: cannot listen for gRPC on 127.0.0.1:${port}: the port is in use; choose another --port`);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
