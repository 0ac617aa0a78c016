/**
 * Fuzz of the master's REST gateway with a seeded generator (FUZZ_SEED replays a run; FUZZ_CALLS
 * and FUZZ_TIME_MS bound it). Requests are written by hand on a raw TCP socket, so that nothing
 * in between cleans them up: bad and deeply nested JSON, bodies past the limit, hostile path
 * segments and query strings, unknown methods and paths, every route.
 *
 * What must hold: every request gets an HTTP answer that is a success or a client error (never a
 * 5xx, never a dropped connection without an answer); a refused request leaves the store
 * byte-for-byte unchanged; accepted submits add exactly the jobs they acknowledge; and the master
 * still serves afterwards. The master runs on a frozen clock without workers, so only the fuzzed
 * requests can change the store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { createHttpGateway } from '../../src/http/plugin.js';
import { storeSnapshot } from '../chaos/store-snapshot.js';
import { Prng, seedFrom } from '../chaos/prng.js';
import { PROTOTYPE_KEYS, hostileId, hostileInt32, hostileInt64, hostileString } from './fuzz-values.js';
import { ManualClock } from '../../src/core/clock.js';

const SEED = seedFrom(process.env.FUZZ_SEED);
const CALLS = Number(process.env.FUZZ_CALLS ?? 400);
const TIME_MS = Number(process.env.FUZZ_TIME_MS ?? 20_000);
const CLIENT_ERRORS = [400, 404, 405, 409, 413, 414, 415, 431];
const replay = `(replay with FUZZ_SEED=${SEED})`;

let cluster: TestCluster;
let port: number;
const tally = new Map<string, number>();
const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);

beforeAll(async () => {
  cluster = await startCluster({ clock: new ManualClock(Date.now()), http: createHttpGateway({ port: 0, processMetrics: false }) });
  port = cluster.running.httpPort;
});
afterAll(async () => {
  // eslint-disable-next-line no-console
  console.log(`fuzz-http outcomes (seed ${SEED}):\n${[...tally].sort().map(([k, n]) => `  ${k.padEnd(40)} ${n}`).join('\n')}`);
  await cluster?.close();
});

interface RawReply {
  status: number | null;
  head: string;
  body: string;
}

/** One request on its own connection; resolves with the status line's code (null: no answer). */
function send(method: string, path: string, body: Buffer | null, headers: Record<string, string> = {}): Promise<RawReply> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: match ? Number(match[1]) : null, head: text.slice(0, split), body: split >= 0 ? text.slice(split + 4) : '' });
    };
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', finish);
    socket.on('close', finish);
    // The server may answer (413) and close while a huge body is still being written.
    socket.on('error', finish);
    const lines = [`${method} ${path} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close'];
    const all = { 'content-type': 'application/json', ...headers };
    for (const [k, v] of Object.entries(all)) lines.push(`${k}: ${v}`);
    if (body !== null && !('transfer-encoding' in headers)) lines.push(`content-length: ${body.length}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (body !== null) socket.write(body);
    socket.setTimeout(10_000, () => socket.destroy());
  });
}

/** Percent-encodes every byte but the unreserved ones (lone surrogates become U+FFFD first). */
const enc = (text: string): string =>
  [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`)).join('');

const deep = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;

function hostileBody(rng: Prng): Buffer {
  const spec = (): Record<string, unknown> => {
    const s: Record<string, unknown> = { type: rng.chance(0.7) ? rng.pick(['echo', 'sleep', 'fibonacci']) : hostileString(rng, 0.01) };
    const add = (key: string, value: () => unknown) => rng.chance(0.3) && (s[key] = value());
    add(rng.pick(['payload', 'payload']), () => rng.pick<() => unknown>([() => ({ n: 1 }), () => hostileString(rng, 0.01), () => [1, 2], () => null, () => 1e308])());
    add('payload_base64', () => rng.pick(['eyJuIjoxfQ==', '!!!', '', hostileString(rng, 0.01)]));
    add(rng.pick(['queue', 'Queue']), () => rng.pick(['default', 'fz', hostileString(rng, 0.01)]));
    add('priority', () => rng.pick<unknown>([rng.int(0, 10), hostileInt32(rng), '5', null, 1.5]));
    add(rng.pick(['max_retries', 'maxRetries']), () => rng.pick<unknown>([rng.int(0, 5), hostileInt32(rng), true]));
    add(rng.pick(['timeout', 'timeout_ms']), () => rng.pick<unknown>(['5s', '-1s', '10y', hostileInt64(rng), {}]));
    add(rng.pick(['delay', 'run_at', 'runAt']), () => rng.pick<unknown>(['1m', 'yesterday', '2030-01-01T00:00:00Z', hostileInt64(rng)]));
    add(rng.pick(['idempotency_key', 'key']), () => hostileString(rng, 0.01));
    add(rng.pick(['content_type', 'backoff', 'unknown_field']), () => hostileString(rng, 0.01));
    add(rng.pick(PROTOTYPE_KEYS), () => rng.pick<unknown>([hostileString(rng, 0.01), { polluted: true }, 1]));
    return s;
  };
  return rng.pick<() => Buffer>([
    () => Buffer.from(JSON.stringify(spec())),
    () => Buffer.from(JSON.stringify(spec())),
    // As text: JSON.stringify drops nothing, but an object literal's __proto__ would set a prototype.
    () => Buffer.from(`{"type":"echo","${rng.pick(PROTOTYPE_KEYS)}":${rng.pick(['1', '"x"', '{"a":1}', 'null', '[]'])}}`),
    () => Buffer.from(JSON.stringify(Array.from({ length: rng.int(0, 5) }, spec))),
    () => Buffer.from(JSON.stringify({ jobs: Array.from({ length: rng.int(0, 5) }, spec) })),
    () => Buffer.from(rng.pick(['', '{', '{"type":', 'nul', '"echo"', '[]', '{}', '\u0000', '{"type":"echo"}garbage', '{"type":"echo","type":"sleep"}'])),
    () => Buffer.from(`{"type":"echo","payload":${deep(rng.pick([100, 5_000, 50_000, 300_000]))}}`),
    () => Buffer.from(deep(rng.pick([10_000, 200_000]), '{"a":', '}').replace(/}+$/, (m) => `1${m}`)),
    () => Buffer.from(`{"type":"echo","payload":"${'p'.repeat(rng.int(1_100_000, 2_000_000))}"}`),
    () => Buffer.concat([Buffer.from('{"type":"echo","payload":"'), Buffer.from([0xff, 0xfe, 0xc0, 0x80]), Buffer.from('"}')]),
    () => rng.bytes(rng.int(1, 300)),
  ])();
}

const pathSegment = (rng: Prng, known: string[]): string =>
  rng.pick<() => string>([
    () => enc(hostileId(rng, known)),
    () => rng.pick(['%zz', '%', '..', '.', '%2F', '%00', '1;drop', `${'9'.repeat(400)}`]),
    () => String(rng.int(1, 40)),
  ])();

function hostileRequest(rng: Prng, known: string[]): { method: string; path: string; body: Buffer | null; headers?: Record<string, string> } {
  const id = pathSegment(rng, known);
  const query = () =>
    rng.pick([
      '',
      `?status=${rng.pick(['queued', 'bogus', 'completed,failed', ''])}`,
      `?limit=${rng.pick(['-1', '0', '1', '1000', '1001', 'x', '1e3'])}`,
      `?page_token=${enc(hostileString(rng, 0))}`,
      `?wait=${rng.pick(['1ms', '50ms', '-1s', '10y', 'x', ''])}`,
      `?unknown=1&queue=${enc(hostileString(rng, 0))}&type=x&worker=y&newest_first=maybe`,
      '?%zz=%zz',
    ]);
  const post = (path: string) => ({ method: 'POST', path, body: hostileBody(rng) });
  return rng.pick<() => { method: string; path: string; body: Buffer | null; headers?: Record<string, string> }>([
    () => post('/v1/jobs'),
    () => post('/v1/jobs'),
    () => post('/submit_job'),
    () => ({ method: 'GET', path: `/v1/jobs${query()}`, body: null }),
    () => ({ method: 'GET', path: `/get_all_jobs${query()}`, body: null }),
    () => ({ method: 'GET', path: `/v1/jobs/${id}`, body: null }),
    () => ({ method: 'GET', path: `/v1/jobs/${id}/result${rng.chance(0.5) ? `?wait=${rng.pick(['1ms', '20ms', 'x', '-5s', '99999999h'])}` : ''}`, body: null }),
    () => ({ method: 'POST', path: `/v1/jobs/${id}/cancel`, body: rng.chance(0.5) ? null : hostileBody(rng) }),
    () => ({ method: 'POST', path: `/v1/jobs/${id}/retry`, body: null }),
    () => ({ method: 'GET', path: '/v1/stats', body: null }),
    () => ({ method: 'POST', path: `/v1/queues/${enc(rng.chance(0.5) ? 'fz' : hostileString(rng, 0))}/${rng.pick(['pause', 'resume'])}`, body: null }),
    () => ({ method: rng.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']), path: rng.pick(['/v1/jobs', '/v1/stats', '/healthz', '/metrics', '/readyz', `/v1/jobs/${id}`]), body: null }),
    () => ({ method: 'GET', path: rng.pick(['//', '//a:b', '/\\', '/v1//jobs', '/v1/jobs/1/../..', '/nope', `/${'x'.repeat(20_000)}`, '*']), body: null }),
    () => ({
      method: 'POST',
      path: '/v1/jobs',
      body: hostileBody(rng),
      headers: rng.pick([
        { 'content-type': 'text/plain' },
        { 'content-type': 'application/x-www-form-urlencoded' },
        { 'content-type': 'application/json; charset=utf-16' },
        { 'content-encoding': 'gzip' },
        { 'transfer-encoding': 'chunked' },
        { 'content-length': '999999999999' },
      ]),
    }),
  ])();
}

describe('fuzz: the REST gateway', () => {
  it('given a master with the HTTP gateway, when random and hostile requests hit every route, then each gets a success or a 4xx (never a 5xx or no answer), refused ones write nothing, and the master still serves', async () => {
    const rng = new Prng(SEED);
    const known: string[] = [];
    let baseline = storeSnapshot(cluster.dbPath);
    const end = Date.now() + TIME_MS;
    let i = 0;
    for (; i < CALLS && Date.now() < end; i++) {
      const request = hostileRequest(rng, known);
      const headers = request.headers ?? {};
      const body = headers['transfer-encoding'] === 'chunked' && request.body ? Buffer.from(`${request.body.length.toString(16)}\r\n${request.body.toString('latin1')}\r\n0\r\n\r\n`, 'latin1') : request.body;
      const reply = await send(request.method, request.path, body, headers);
      const route = `${request.method} ${request.path.replace(/\/[^/?]{40,}/g, '/<long>').replace(/\?.*/, '?…').slice(0, 40)}`;
      const context = `#${i} ${route} body ${request.body?.subarray(0, 80).toString('latin1') ?? '-'} ${replay}`;
      count(`${request.method} ${reply.status ?? 'no answer'}`);
      expect(reply.status, `${context}: no HTTP answer`).not.toBeNull();
      const status = reply.status!;
      expect(status < 500, `${context}: ${status} ${reply.body.slice(0, 300)}`).toBe(true);
      if (status >= 400) {
        expect(CLIENT_ERRORS, `${context}: ${reply.body.slice(0, 200)}`).toContain(status);
        expect(storeSnapshot(cluster.dbPath), `a refused ${context} changed the store`).toEqual(baseline);
        continue;
      }
      const after = storeSnapshot(cluster.dbPath);
      if (request.method === 'POST' && (request.path === '/v1/jobs' || request.path === '/submit_job')) {
        const parsed = JSON.parse(reply.body) as { id?: string; job_id?: string; duplicate?: boolean; results?: Array<{ id: string; duplicate: boolean }> };
        const results = parsed.results ?? [{ id: parsed.id ?? parsed.job_id ?? '', duplicate: Boolean(parsed.duplicate) }];
        known.push(...results.map((r) => r.id));
        expect(after.jobs - baseline.jobs, `${context} added another number of jobs than it acknowledged`).toBe(results.filter((r) => !r.duplicate).length);
      } else if (request.method === 'GET') {
        expect(after, `a read (${context}) changed the store`).toEqual(baseline);
      }
      baseline = after;
    }
    expect(i).toBeGreaterThanOrEqual(Math.min(CALLS, 100));
    const ok = await send('POST', '/v1/jobs', Buffer.from('{"type":"echo","payload":{"after":"fuzz"}}'));
    expect(ok.status).toBe(201);
    expect((await send('GET', '/healthz', null)).status).toBe(200);
    expect(cluster.running.master.state).toBe('running');
  });
});
