/**
 * The dashboard's server side against a real master: the page and its assets (CSP, hashed names,
 * ETag, gzip), the API the pages call (summary, error groups, counts, bulk actions), the live
 * feed (GET /v1/events) and the browser's security (token login cookie, CSRF, read-only).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { startCluster, waitFor } from '../helpers/cluster.js';
import { createHttpGateway } from '../../src/http/plugin.js';
import { api, startHttpCluster } from './http-helpers.js';
import type { TestCluster } from '../helpers/cluster.js';
import type { MasterFlags } from '../../src/config.js';

let cluster: (TestCluster & { base: string }) | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

const TOKEN = 'dashboard-test-token-0123456789';
const call = (method: string, path: string, body?: unknown) => api(cluster!.base, method, path, body);

async function start(flags: MasterFlags = {}) {
  cluster = await startHttpCluster(flags);
  return cluster;
}

/** Reads server-sent events until `until` says stop; returns them. */
async function readEvents(url: string, headers: Record<string, string>, until: (events: Array<{ id: string; event: string; data: any }>) => boolean) {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: Array<{ id: string; event: string; data: any }> = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = response.body!.getReader();
  const deadline = Date.now() + 20_000;
  while (!until(events)) {
    if (Date.now() > deadline) throw new Error(`events so far: ${JSON.stringify(events.map((e) => e.event))}`);
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':') && l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
      if (fields.event) events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
    }
  }
  controller.abort();
  return events;
}

describe('dashboard page and assets', () => {
  it('given a master, when / is fetched, then the page has a strict CSP, no inline script, and its hashed assets come gzipped with an ETag and a 304', async () => {
    await start();
    const page = await call('GET', '/');
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe');
    expect(page.text).not.toMatch(/<script>(?!<)/);
    const script = /src="\/assets\/(main-[A-Z0-9]+\.js)"/.exec(page.text)![1];
    const style = /href="\/assets\/(style-[A-Z0-9]+\.css)"/.exec(page.text)![1];
    const js = await fetch(`${cluster!.base}/assets/${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    const etag = js.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    expect((await js.text()).length).toBeGreaterThan(1000);
    const again = await fetch(`${cluster!.base}/assets/${script}`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect((await call('GET', `/assets/${style}`)).headers.get('content-type')).toMatch(/^text\/css/);
    expect((await call('GET', '/assets/nothing-1234.js')).status).toBe(404);
    // fetch() decodes gzip itself; check the raw bytes through node:http semantics instead.
    const raw = await import('node:http').then(
      (http) =>
        new Promise<{ encoding: string | undefined; body: Buffer }>((resolve) =>
          http.get(`${cluster!.base}/assets/${script}`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
          }),
        ),
    );
    expect(raw.encoding).toBe('gzip');
    expect(gunzipSync(raw.body).toString()).toContain('nucleus');
  });

  it('given --ui-path /ops/dash, then the page is there (and / is not), and --no-ui serves no page while the API stays', async () => {
    await start({ 'ui-path': '/ops/dash/' });
    expect((await call('GET', '/')).status).toBe(404);
    const page = await call('GET', '/ops/dash/');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/src="\/ops\/dash\/assets\/main-/);
    const bare = await fetch(`${cluster!.base}/ops/dash`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/ops/dash/');
    await cluster!.close();
    await start({ 'no-ui': true });
    expect((await call('GET', '/')).status).toBe(404);
    expect((await call('GET', '/v1/summary')).status).toBe(200);
  });
});

describe('dashboard API', () => {
  it('given dead-letter jobs with two errors, then /v1/errors groups them, /v1/jobs/count counts a filter, and a bulk retry by filter re-queues exactly that group', async () => {
    await start();
    const submit = (payload: unknown) => call('POST', '/v1/jobs', { type: 'math', payload, max_retries: 0 });
    for (let i = 0; i < 3; i++) await submit({ operation: 'div', a: 1, b: 0 });
    for (let i = 0; i < 2; i++) await submit({ operation: 'pow', a: 10, b: 400 });
    await (await submit({ operation: 'add', a: 1, b: 2 })).body;
    await cluster!.addWorker();
    await waitFor(async () => (await call('GET', '/v1/summary')).body.counts.completed === 1 && (await call('GET', '/v1/jobs/count?status=failed,dead_letter')).body.count === 5, 'five failures');
    const failedStatus = (await call('GET', '/v1/jobs?status=failed,dead_letter&limit=1')).body.jobs[0].status;
    const groups = (await call('GET', `/v1/errors?status=${failedStatus}`)).body.groups;
    expect(groups.map((g: { error: string; count: number }) => [g.error, g.count])).toEqual([
      ['NonRetryableError: division by zero', 3],
      ['NonRetryableError: pow(10, 400) is not a finite number', 2],
    ]);
    expect((await call('GET', `/v1/jobs/count?status=${failedStatus}&error_contains=DIVISION`)).body).toEqual({ count: 3, capped: false });
    await Promise.all(cluster!.workers.map((w) => w.stop(0)));
    cluster!.workers.length = 0;
    const bulk = await call('POST', '/v1/jobs/bulk', { action: 'retry', filter: { status: failedStatus, error: 'NonRetryableError: division by zero' } });
    expect(bulk.status).toBe(200);
    expect(bulk.body).toMatchObject({ action: 'retry', matched: 3, changed: 3, skippedCount: 0, truncated: false });
    expect((await call('GET', '/v1/summary')).body.queues[0]).toMatchObject({ name: 'default', counts: { queued: 3 } });
    // Bad input names the field and changes nothing.
    const bad = await call('POST', '/v1/jobs/bulk', { action: 'retry', filter: { queue: 'default' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('filter.status');
    const unknownField = await call('POST', '/v1/jobs/bulk', { action: 'explode', ids: ['1'] });
    expect(unknownField.body.error.message).toContain('action');
    const cancelled = await call('POST', '/v1/jobs/bulk', { action: 'cancel', ids: groups[0].latestId ? [groups[0].latestId, '999999'] : [] });
    expect(cancelled.body).toMatchObject({ matched: 2, changed: 1, skippedCount: 1 });
  });

  it('given a 200 KiB payload, then the dashboard view cuts it at 64 KiB and the download has all of it as octet-stream', async () => {
    await start();
    const text = 'x'.repeat(200 * 1024);
    const { id } = (await call('POST', '/v1/jobs', { type: 'echo', payload: { text } })).body;
    const view = (await call('GET', `/v1/ui/jobs/${id}`)).body;
    expect(view.payload).toMatchObject({ cut: true, bytes: text.length + 11, contentType: 'application/json' });
    expect(view.payload.text.length).toBe(64 * 1024);
    const download = await call('GET', `/v1/jobs/${id}/payload`);
    expect(download.headers.get('content-type')).toBe('application/octet-stream');
    expect(download.headers.get('content-disposition')).toContain('attachment');
    expect(JSON.parse(download.text).text).toBe(text);
  });
});

describe('live events', () => {
  it('given a watcher, when jobs change, then it gets hello, a summary and change notices; Last-Event-ID of this process replays, of another asks for a reset', async () => {
    await start();
    const url = `${cluster!.base}/v1/events`;
    const submitted: string[] = [];
    const first = readEvents(url, {}, (events) => events.some((e) => e.event === 'change' && submitted.every((id) => events.some((c) => c.event === 'change' && c.data.ids.includes(id)))) && submitted.length > 0);
    await waitFor(() => true, 'tick');
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 2; i++) submitted.push((await call('POST', '/v1/jobs', { type: 'echo', payload: i })).body.id);
    const events = await first;
    expect(events[0].event).toBe('hello');
    expect(events[1].event).toBe('summary');
    expect(events[1].data.counts).toBeDefined();
    const change = events.find((e) => e.event === 'change')!;
    expect(change.id.startsWith(`${events[0].data.epoch}-`)).toBe(true);
    // Back with the id before the change: the change is replayed after hello.
    const before = `${events[0].data.epoch}-0`;
    const replay = await readEvents(url, { 'last-event-id': before }, (ev) => ev.length >= 2);
    expect(replay.slice(0, 2).map((e) => e.event)).toEqual(['hello', 'change']);
    const other = await readEvents(url, { 'last-event-id': 'zzzz-3' }, (ev) => ev.length >= 2);
    expect(other.slice(0, 2).map((e) => e.event)).toEqual(['hello', 'reset']);
    expect(other[1].data.reason).toBe('restarted');
  });
});

describe('live events and the connection limits', () => {
  it('given request, header and keep-alive timeouts of 200 ms, when a stream stays open five times longer, then it still carries the next change', async () => {
    const limits = { requestTimeoutMs: 200, headersTimeoutMs: 200, keepAliveTimeoutMs: 200 };
    const base = await startCluster({ http: createHttpGateway({ port: 0, processMetrics: false, limits }) });
    cluster = Object.assign(base, { base: `http://127.0.0.1:${base.running.httpPort}` });
    let id = '';
    const opened = Date.now();
    const events = readEvents(`${cluster.base}/v1/events`, {}, (ev) => id !== '' && ev.some((e) => e.event === 'change' && e.data.ids.includes(id)));
    // Held past every limit on purpose: the point is that none of them ends the stream.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    id = (await call('POST', '/v1/jobs', { type: 'echo', payload: 1 })).body.id;
    const seen = await events;
    expect(seen.some((e) => e.event === 'change')).toBe(true);
    expect(Date.now() - opened).toBeGreaterThanOrEqual(1000);
  });
});

describe('browser security', () => {
  it('given a token, when a browser logs in with a wrong then the right token, then only the right one gets an HttpOnly SameSite=Strict cookie that opens the API', async () => {
    await start({ token: TOKEN });
    expect((await call('GET', '/')).status).toBe(200);
    expect((await call('GET', '/v1/summary')).status).toBe(401);
    const session = await call('GET', '/v1/ui/session');
    expect(session.body).toMatchObject({ tokenRequired: true, signedIn: false, csrf: null });
    const wrong = await call('POST', '/v1/ui/login', { token: 'not-the-token-at-all-0000' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const right = await call('POST', '/v1/ui/login', { token: TOKEN });
    const cookie = right.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const jar = cookie.split(';')[0];
    const summary = await fetch(`${cluster!.base}/v1/summary`, { headers: { cookie: jar } });
    expect(summary.status).toBe(200);
    const forged = await fetch(`${cluster!.base}/v1/summary`, { headers: { cookie: `${jar.slice(0, -3)}abc` } });
    expect(forged.status).toBe(401);
    const csrf = ((await (await fetch(`${cluster!.base}/v1/ui/session`, { headers: { cookie: jar } })).json()) as { csrf: string }).csrf;
    expect(typeof csrf).toBe('string');
    const body = JSON.stringify({ type: 'echo', payload: 1 });
    const without = await fetch(`${cluster!.base}/v1/jobs`, { method: 'POST', headers: { cookie: jar, 'content-type': 'application/json' }, body });
    expect(without.status).toBe(403);
    expect(((await without.json()) as { error: { code: string } }).error.code).toBe('CSRF_TOKEN');
    const withToken = await fetch(`${cluster!.base}/v1/jobs`, { method: 'POST', headers: { cookie: jar, 'content-type': 'application/json', 'x-nucleus-csrf': csrf }, body });
    expect(withToken.status).toBe(201);
    const crossSite = await fetch(`${cluster!.base}/v1/jobs`, {
      method: 'POST',
      headers: { cookie: jar, 'content-type': 'application/json', 'x-nucleus-csrf': csrf, origin: 'http://evil.example' },
      body,
    });
    expect(crossSite.status).toBe(403);
    // A program with the Bearer token needs no CSRF token.
    const program = await fetch(`${cluster!.base}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body });
    expect(program.status).toBe(201);
  });

  it('given --ui read-only, then a browser POST is refused and changes nothing, and the session says read-only', async () => {
    await start({ ui: 'read-only' });
    const session = (await call('GET', '/v1/ui/session')).body;
    expect(session).toMatchObject({ readOnly: true, signedIn: true });
    const refused = await fetch(`${cluster!.base}/v1/jobs`, {
      method: 'POST',
      headers: { origin: cluster!.base, 'content-type': 'application/json', 'x-nucleus-csrf': session.csrf },
      body: JSON.stringify({ type: 'echo' }),
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('READ_ONLY');
    expect((await call('GET', '/v1/summary')).body.counts.queued).toBe(0);
  });
});
