/**
 * Input the master used to take too loosely: Object.prototype's member names as REST job fields,
 * bodies that are not UTF-8 JSON (another Content-Type, a Content-Encoding, malformed UTF-8),
 * clients that hang up mid-body (one short log line each, no stack), and job ids on the worker
 * stream that JobService would refuse.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startCluster, tempDir, waitFor, type TestCluster } from '../helpers/cluster.js';
import { startMaster } from '../../src/services/master.js';
import { resolveMasterConfig } from '../../src/config.js';
import { api, startHttpCluster } from './http-helpers.js';
import { HandWorker } from './hand-worker.js';
import { storeSnapshot } from '../chaos/store-snapshot.js';
import { createHttpGateway } from '../../src/http/plugin.js';
import { firstInvalidUtf8 } from '../../src/http/respond.js';

let cluster: TestCluster | null = null;
const hands: HandWorker[] = [];
afterEach(async () => {
  for (const h of hands.splice(0)) h.close();
  await cluster?.close();
  cluster = null;
});

async function post(base: string, body: string | Buffer, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}/v1/jobs`, { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

describe('REST: Object.prototype member names are not job fields', () => {
  it.each(['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'])(
    'given a job with the field %s, when submitted, then it is refused 400 as an unknown field and nothing is stored',
    async (field) => {
      const c = await startHttpCluster();
      cluster = c;
      const before = storeSnapshot(c.dbPath);
      // Written as text: an object literal with __proto__ would set a prototype, not a field.
      for (const text of [`{"type":"echo","${field}":"x"}`, `{"type":"echo","${field}":{"a":1}}`, `[{"type":"echo","${field}":1}]`]) {
        const reply = await api(c.base, 'POST', '/v1/jobs', text);
        expect(reply.status, `${text}: ${reply.text}`).toBe(400);
        expect(reply.body.error.message).toMatch(new RegExp(`^(job|jobs\\[0\\])\\.${field}: is not a job field`));
      }
      // And as the key of a batch next to "jobs".
      const batch = await api(c.base, 'POST', '/v1/jobs', `{"jobs":[{"type":"echo"}],"${field}":1}`);
      expect(batch.status, batch.text).toBe(400);
      expect(storeSnapshot(c.dbPath)).toEqual(before);
    },
  );

  it('given a payload whose keys are __proto__ and constructor, when submitted, then the payload is stored as sent', async () => {
    const c = await startHttpCluster();
    cluster = c;
    const reply = await api(c.base, 'POST', '/v1/jobs', '{"type":"echo","payload":{"__proto__":{"x":1},"constructor":2}}');
    expect(reply.status, reply.text).toBe(201);
    const job = await api(c.base, 'GET', `/v1/jobs/${reply.body.id}`);
    expect(JSON.stringify(job.body.payload)).toBe('{"__proto__":{"x":1},"constructor":2}');
  });
});

describe('REST: the body must be UTF-8 JSON, sent plainly', () => {
  it('given a body sent as text/plain, form data, or JSON in another charset, when submitted, then 415 names the content type and nothing is stored', async () => {
    const c = await startHttpCluster();
    cluster = c;
    const before = storeSnapshot(c.dbPath);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'multipart/form-data; boundary=x']) {
      const reply = await post(c.base, '{"type":"echo"}', { 'content-type': type });
      expect(reply.status, type).toBe(415);
      expect(reply.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(reply.body.error.message).toMatch(/^content-type: /);
    }
    expect(storeSnapshot(c.dbPath)).toEqual(before);
    for (const type of ['application/json', 'application/json; charset=utf-8', 'application/merge-patch+json', 'Application/JSON']) {
      expect((await post(c.base, '{"type":"echo"}', { 'content-type': type })).status, type).toBe(201);
    }
  });

  it('given a body with content-encoding gzip, when submitted, then 415 says it is not supported and nothing is stored', async () => {
    const c = await startHttpCluster();
    cluster = c;
    const before = storeSnapshot(c.dbPath);
    for (const encoding of ['gzip', 'br', 'deflate']) {
      const reply = await post(c.base, '{"type":"echo"}', { 'content-type': 'application/json', 'content-encoding': encoding });
      expect(reply.status).toBe(415);
      expect(reply.body.error.message).toBe(`content-encoding: "${encoding}" is not supported; send the body uncompressed`);
    }
    expect(storeSnapshot(c.dbPath)).toEqual(before);
  });

  it('given a JSON body with invalid UTF-8 in the payload, when submitted, then 400 gives the byte position and nothing is stored', async () => {
    const c = await startHttpCluster();
    cluster = c;
    const before = storeSnapshot(c.dbPath);
    const head = Buffer.from('{"type":"echo","payload":"ab');
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      const body = Buffer.concat([head, Buffer.from(bad), Buffer.from('"}')]);
      const reply = await post(c.base, body, { 'content-type': 'application/json' });
      expect(reply.status, String(bad)).toBe(400);
      expect(reply.body.error.message).toMatch(new RegExp(`^body: is not valid UTF-8: the character at byte ${head.length} \\(0x${bad[0].toString(16)}\\)`));
    }
    expect(storeSnapshot(c.dbPath)).toEqual(before);
    const good = await post(c.base, Buffer.from('{"type":"echo","payload":"naïve 😀"}'), { 'content-type': 'application/json' });
    expect(good.status).toBe(201);
  });

  it('finds the first malformed byte the way the UTF-8 definition does', () => {
    expect(firstInvalidUtf8(Buffer.from('abc'))).toBe(3);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xf5, 0x80, 0x80, 0x80]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0xf0, 0x8f, 0xbf, 0xbf]))).toBe(0); // overlong
    expect(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // past U+10FFFF
    expect(firstInvalidUtf8(Buffer.from('😀é', 'utf8'))).toBe(6);
  });
});

describe('REST: a client that hangs up mid-body', () => {
  it('given 20 clients that send half a body and close, when they go, then the master logs at most one short line each, without a stack, and serves on', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const dir = tempDir();
    const config = resolveMasterConfig({ host: '127.0.0.1', port: 0, 'http-port': 0, db: `${dir.path}/nucleus.db` }, {});
    const running = await startMaster(config, pino({ level: 'info' }, sink), { http: createHttpGateway({ port: 0, processMetrics: false }) });
    try {
      lines.length = 0;
      for (let i = 0; i < 20; i++) {
        await new Promise<void>((resolve) => {
          const socket = connect(running.httpPort, '127.0.0.1', () => {
            socket.write('POST /v1/jobs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"type":"ec');
            setImmediate(() => socket.destroy());
          });
          socket.on('close', () => resolve());
        });
      }
      const ok = await fetch(`http://127.0.0.1:${running.httpPort}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"echo"}' });
      expect(ok.status).toBe(201);
      // Given the one line each abort may write has come out (before the fix: an ERROR with a stack).
      await waitFor(() => lines.filter((l) => /"path":"\/v1\/jobs"/.test(l)).length >= 20, '20 log lines about the aborted requests');
      const about = lines.filter((l) => /"path":"\/v1\/jobs"/.test(l));
      expect(about).toHaveLength(20);
      for (const line of about) {
        expect(line.length, line).toBeLessThan(400);
        expect(line).not.toMatch(/stack|"err"|ERROR|"level":50/);
      }
    } finally {
      await running.stop();
      dir.cleanup();
    }
  });
});

describe('the worker stream reads job ids as strictly as JobService', () => {
  it.each(['0x10', ' 1', 'abc', '1.0', '', '-1'])('given a result for job id %j, when sent, then the stream ends with INVALID_ARGUMENT naming the field', async (id) => {
    cluster ??= await startCluster();
    const hand = HandWorker.open(cluster.address, { workerId: `ids-${hands.length}` });
    hands.push(hand);
    await hand.welcome();
    hand.result(id, 1, 'x');
    await waitFor(() => hand.ended, 'the stream to be refused');
    expect(hand.ended).toMatch(/^results\[0\]\.job_id: must be a positive integer job id/);
    expect(hand.ended).toContain(JSON.stringify(id).slice(1, -1));
  });

  it('given a heartbeat or a goodbye with a loose job id, when sent, then the stream is refused naming the field', async () => {
    cluster = await startCluster();
    const beat = HandWorker.open(cluster.address, { workerId: 'beat' });
    const bye = HandWorker.open(cluster.address, { workerId: 'bye' });
    hands.push(beat, bye);
    await Promise.all([beat.welcome(), bye.welcome()]);
    beat.heartbeat([{ jobId: '0x10', attempt: 1 }]);
    bye.goodbye([{ jobId: ' 1', attempt: 1 }]);
    await waitFor(() => beat.ended && bye.ended, 'both streams to be refused');
    expect(beat.ended).toMatch(/^heartbeat\.running\[0\]\.job_id: must be a positive integer job id/);
    expect(bye.ended).toMatch(/^goodbye\.returned\[0\]\.job_id: must be a positive integer job id/);
  });
});
