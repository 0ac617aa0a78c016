/**
 * The library's Master: started with the command's flags as options, its lifecycle events in
 * order, a Client and a Worker against it, and a throwing listener logged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { tempDir } from '../helpers/cluster.js';
import { Client, Master, NucleusError, Worker } from '../../src/index.js';
import { join } from 'node:path';

const dirs: Array<{ cleanup: () => void }> = [];
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

describe('library Master', () => {
  it('given options named as the flags, when started and stopped, then listening, stopping and stopped fire in order and jobs run against it', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (c, _e, done) => (lines.push(JSON.parse(String(c))), done()) }));
    const master = new Master({ port: 0, 'http-port': 0, db: join(dir.path, 'jobs.db'), 'heartbeat-timeout': '5s', logger });
    const events: string[] = [];
    master.on('listening', ({ grpcPort }) => events.push(`listening ${grpcPort > 0}`));
    master.on('stopping', () => events.push('stopping'));
    master.on('stopped', () => events.push('stopped'));
    master.on('listening', () => {
      throw new Error('listener bug');
    });
    const { address } = await master.start();
    const client = new Client({ masters: address });
    const worker = new Worker({ masters: address, handlers: { add: (p) => (p as { a: number; b: number }).a + (p as { a: number; b: number }).b }, isolation: 'none', logger });
    void worker.run();
    const job = await client.submit('add', { a: 2, b: 3 });
    expect((await client.result(job.id, { wait: true, timeoutMs: 20_000 })).result).toBe(5);
    await worker.close({ grace: 1000 });
    client.close();
    await master.stop();
    expect(events).toEqual(['listening true', 'stopping', 'stopped']);
    expect(lines.some((l) => l.msg === 'a listener of "listening" threw')).toBe(true);
  });

  it('given a bad option, when started, then it rejects naming the flag', async () => {
    const error = await new Master({ port: 0, 'http-port': 0, db: ':memory:', 'heartbeat-timeout': 'soon' }).start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NucleusError);
    expect((error as Error).message).toMatch(/^--heartbeat-timeout: /);
  });
});
