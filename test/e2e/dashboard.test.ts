/**
 * The dashboard end to end: Debian's Chromium drives the real pages against a real master and
 * real workers. Each case also asserts that no page logged a console error, threw, opened a
 * dialog or violated the Content-Security-Policy. With SCREENSHOTS=1 the main pages are saved
 * into docs/ (as the README shows them).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { api } from '../integration/http-helpers.js';
import { waitFor } from '../helpers/cluster.js';
import { CHROMIUM, launchBrowser, openPage, startDashboard, type DashboardCluster, type Watched } from './browser.js';
import type { Browser } from 'playwright-core';

const SHOTS = process.env.SCREENSHOTS === '1';
const TOKEN = 'e2e-dashboard-token-0123456789';

let browser: Browser;
let cluster: DashboardCluster | null = null;
let watched: Watched | null = null;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/test-deps.sh does it)`);
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => browser?.close());
afterEach(async () => {
  await watched?.context.close();
  watched = null;
  await cluster?.close();
  cluster = null;
});

async function open(flags = {}, path = '/') {
  cluster = await startDashboard(flags);
  watched = await openPage(browser);
  await watched.page.goto(`${cluster.base}${path}`);
  return watched.page;
}

const shot = async (name: string) => {
  if (SHOTS) await watched!.page.screenshot({ path: join('docs', `dashboard-${name}.png`) });
};

const call = (method: string, path: string, body?: unknown) => api(cluster!.base, method, path, body);

/** The number on an overview card. */
async function card(status: string): Promise<number> {
  const text = await watched!.page.locator(`[data-status="${status}"] .value`).textContent();
  return Number((text ?? '').replace(/\D/g, ''));
}

describe('dashboard in Chromium', () => {
  it('given a worker, when a job is submitted from the form, then it runs and its result shows; the main pages render without a console error or CSP violation', async () => {
    const page = await open();
    await cluster!.addWorker();
    await page.click('nav a[href="#/submit"]');
    await page.fill('input[name="type"]', 'echo');
    await page.fill('textarea[name="payload"]', '{"hello": "from the form", "n": [1, 2, 3]}');
    await page.fill('input[name="queue"]', 'default');
    await page.fill('input[name="retries"]', '2');
    await page.fill('input[name="timeout"]', '10s');
    await page.click('form.submit button[type="submit"]');
    await page.waitForURL(/#\/jobs\/\d+$/);
    await page.locator('h1 .s-completed').waitFor({ timeout: 20_000 });
    const result = await page.locator('[data-testid="result"]').textContent();
    expect(result).toContain('"from the form"');
    expect(await page.locator('table').last().textContent()).toContain('completed');
    await shot('job');
    // A bad duration is refused by the page with the field's name; a bad type by the master.
    await page.click('nav a[href="#/submit"]');
    await page.fill('input[name="type"]', 'echo');
    await page.fill('input[name="timeout"]', '5');
    await page.click('form.submit button[type="submit"]');
    expect(await page.locator('.error').textContent()).toContain('timeout');
    await page.fill('input[name="timeout"]', '');
    await page.fill('input[name="type"]', 'bad type!');
    await page.click('form.submit button[type="submit"]');
    await page.locator('.error').filter({ hasText: 'type' }).waitFor();
    for (const [href, heading] of [['#/', 'Overview'], ['#/queues', 'Queues'], ['#/jobs', 'Jobs'], ['#/failed', 'Failed'], ['#/workers', 'Workers']]) {
      await page.click(`nav a[href="${href}"]`);
      await page.locator('h1', { hasText: heading }).waitFor();
    }
    await page.locator('[data-testid="workers-table"] tbody tr').first().waitFor();
    await shot('workers');
    await page.click('nav a[href="#/jobs"]');
    await page.locator('[data-testid="jobs-table"] tbody tr').first().waitFor();
    await shot('jobs');
    // The one refusal asked for above (Chrome logs every 4xx response it gets).
    expect(watched!.problems.filter((p) => !/Failed to load resource.*400/.test(p))).toEqual([]);
  });

  it('given dead-letter jobs, when one is retried from the failed page, then the counts change without a reload; a bulk retry of everything matching the filter empties the group', async () => {
    const page = await open();
    const worker = await cluster!.addWorker();
    for (let i = 0; i < 4; i++) await call('POST', '/v1/jobs', { type: 'random_failure', payload: { failure_rate: 1 }, max_retries: 0 });
    await waitFor(async () => (await call('GET', '/v1/summary')).body.counts.dead_letter === 4, 'four dead letters', 20_000);
    await worker.stop(0);
    cluster!.workers.length = 0;
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
    await page.locator('[data-status="dead_letter"] .value', { hasText: '4' }).waitFor();
    await shot('overview');
    await page.click('nav a[href="#/failed"]');
    const group = page.locator('article.group');
    await group.locator('[data-testid="group-count"]', { hasText: '4' }).waitFor();
    await group.locator('button[aria-expanded]').click();
    await group.locator('input[type="checkbox"]').first().check();
    await shot('failed');
    await group.locator('button', { hasText: 'Retry 1 selected' }).click();
    await page.locator('.confirm', { hasText: 'Retry 1 job selected?' }).waitFor();
    await page.click('.confirm button.danger');
    await page.locator('[data-testid="bulk-done"]', { hasText: 'Retried 1 of 1' }).waitFor();
    await group.locator('[data-testid="group-count"]', { hasText: '3' }).waitFor({ timeout: 10_000 });
    await page.click('nav a[href="#/"]');
    await waitFor(async () => (await card('dead_letter')) === 3 && (await card('queued')) === 1, 'overview counts 3 dead, 1 queued');
    // Bulk: every job matching the group's filter, after the count is confirmed.
    await page.click('nav a[href="#/failed"]');
    await page.locator('article.group button', { hasText: 'Retry all matching' }).click();
    await page.locator('.confirm', { hasText: 'Retry 3 jobs with this error (dead letter)?' }).waitFor();
    await page.click('.confirm button.danger');
    await page.locator('[data-testid="bulk-done"]', { hasText: 'Retried 3 of 3' }).waitFor();
    await page.locator('article.group').waitFor({ state: 'detached', timeout: 10_000 });
    expect((await call('GET', '/v1/summary')).body.counts).toMatchObject({ dead_letter: 0, queued: 4 });
    expect(await page.evaluate(() => (globalThis as unknown as { marker: number }).marker)).toBe(42);
    expect(watched!.problems).toEqual([]);
  });

  it('given a queue, when it is paused and resumed from the queues page, then the master and the page agree each time', async () => {
    const page = await open();
    await call('POST', '/v1/jobs', { type: 'echo', queue: 'mail', payload: 1 });
    await page.click('nav a[href="#/queues"]');
    const row = page.locator('tr[data-queue="mail"]');
    await row.locator('button', { hasText: 'Pause' }).click();
    await row.locator('[data-testid="queue-state"]', { hasText: 'paused' }).waitFor();
    expect((await call('GET', '/v1/summary')).body.queues.find((q: { name: string }) => q.name === 'mail').paused).toBe(true);
    await shot('queues');
    await row.locator('button', { hasText: 'Resume' }).click();
    await row.locator('[data-testid="queue-state"]', { hasText: 'active' }).waitFor();
    expect((await call('GET', '/v1/summary')).body.queues.find((q: { name: string }) => q.name === 'mail').paused).toBe(false);
    expect(watched!.problems).toEqual([]);
  });

  it('given an open page, when the master stops and starts again, then the page says it is away, then that it is back after a restart, and shows new data', async () => {
    const page = await open();
    await page.locator('[data-testid="connection"]', { hasText: 'live' }).waitFor();
    await cluster!.running.stop();
    await page.locator('[data-testid="banner-away"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-testid="banner-away"]').textContent()).toContain('not answering');
    await cluster!.restartMaster();
    await call('POST', '/v1/jobs', { type: 'echo', payload: 'after the restart' });
    await page.locator('[data-testid="banner-back"]', { hasText: 'restarted' }).waitFor({ timeout: 15_000 });
    await page.locator('[data-status="queued"] .value', { hasText: '1' }).waitFor({ timeout: 10_000 });
    // Only the refused connections while the master was away may be logged.
    expect(watched!.problems.filter((p) => !/ERR_CONNECTION_REFUSED|Failed to load resource|EventSource/.test(p))).toEqual([]);
  });

  it('given an open page, when live is paused by hand or the tab is hidden, then it says so and closes its stream, and catches up when resumed', async () => {
    const page = await open();
    await page.locator('[data-testid="connection"]', { hasText: 'live' }).waitFor();
    await page.click('button:has-text("Pause live")');
    await page.locator('[data-testid="connection"]', { hasText: 'paused' }).waitFor();
    await call('POST', '/v1/jobs', { type: 'echo', payload: 1 });
    await page.click('button:has-text("Resume live")');
    await page.locator('[data-status="queued"] .value', { hasText: '1' }).waitFor();
    // Hidden: the page closes its stream (the browser would say so through visibilitychange).
    await page.evaluate(() => {
      const doc = (globalThis as unknown as { document: { dispatchEvent(e: unknown): void } }).document;
      Object.defineProperty(doc, 'visibilityState', { value: 'hidden', configurable: true });
      doc.dispatchEvent(new (globalThis as unknown as { Event: new (type: string) => unknown }).Event('visibilitychange'));
    });
    await page.locator('[data-testid="connection"]', { hasText: 'tab hidden' }).waitFor();
    await call('POST', '/v1/jobs', { type: 'echo', payload: 2 });
    await page.evaluate(() => {
      const doc = (globalThis as unknown as { document: { dispatchEvent(e: unknown): void } }).document;
      Object.defineProperty(doc, 'visibilityState', { value: 'visible', configurable: true });
      doc.dispatchEvent(new (globalThis as unknown as { Event: new (type: string) => unknown }).Event('visibilitychange'));
    });
    await page.locator('[data-testid="connection"]', { hasText: 'live' }).waitFor();
    await page.locator('[data-status="queued"] .value', { hasText: '2' }).waitFor();
    expect(watched!.problems).toEqual([]);
  });

  it('given --ui-path /ops/nucleus, then the dashboard works under that prefix', async () => {
    const page = await open({ 'ui-path': '/ops/nucleus' }, '/ops/nucleus/');
    await call('POST', '/v1/jobs', { type: 'echo', payload: 1 });
    await page.locator('[data-status="queued"] .value', { hasText: '1' }).waitFor();
    await page.click('nav a[href="#/jobs"]');
    await page.locator('[data-testid="jobs-table"] tbody tr').first().waitFor();
    expect(page.url()).toContain('/ops/nucleus/#/jobs');
    expect(watched!.problems).toEqual([]);
  });

  it('given --ui read-only, then no action is offered and a POST from the page is refused', async () => {
    const page = await open({ ui: 'read-only' });
    await call('POST', '/v1/jobs', { type: 'echo', queue: 'ro', payload: 1 });
    await page.locator('.top .status', { hasText: 'read-only' }).waitFor();
    expect(await page.locator('nav a[href="#/submit"]').count()).toBe(0);
    await page.click('nav a[href="#/queues"]');
    await page.locator('tr[data-queue="ro"]').waitFor();
    expect(await page.locator('tr[data-queue="ro"] button').count()).toBe(0);
    const status = await page.evaluate(async () => (await fetch('/v1/queues/ro/pause', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status);
    expect(status).toBe(403);
    expect((await call('GET', '/v1/summary')).body.queues[0].paused).toBe(false);
    expect(watched!.problems.filter((p) => !/Failed to load resource.*403/.test(p))).toEqual([]);
  });

  it('given a token, when a wrong token is given, then the page says so; with the right one it signs in and stays signed in across a reload', async () => {
    const page = await open({ token: TOKEN });
    await page.fill('input[name="token"]', 'a-wrong-token-0000000000');
    await page.click('.login button[type="submit"]');
    expect(await page.locator('[data-testid="login-error"]').textContent()).toContain('wrong token');
    await page.fill('input[name="token"]', TOKEN);
    await page.click('.login button[type="submit"]');
    await page.locator('h1', { hasText: 'Overview' }).waitFor();
    const cookies = await watched!.context.cookies();
    expect(cookies[0]).toMatchObject({ name: 'nucleus_session', httpOnly: true, sameSite: 'Strict' });
    expect(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie)).toBe('');
    await page.reload();
    await page.locator('[data-testid="connection"]', { hasText: 'live' }).waitFor();
    expect(watched!.problems.filter((p) => !/Failed to load resource.*401/.test(p))).toEqual([]);
  });

  it('given payloads of <img onerror> and <script>, then they show as text and nothing runs', async () => {
    const page = await open();
    const img = '<img src=x onerror=alert(1)>';
    const script = '<script>alert(2)</script>';
    const a = (await call('POST', '/v1/jobs', { type: 'echo', payload: img, content_type: 'text/plain' })).body.id;
    const b = (await call('POST', '/v1/jobs', { type: 'echo', payload: { html: script, [img]: 1 } })).body.id;
    await page.goto(`${cluster!.base}/#/jobs/${a}`);
    await page.locator('[data-testid="payload"] pre', { hasText: img }).waitFor();
    expect(await page.locator('[data-testid="payload"] img').count()).toBe(0);
    await page.goto(`${cluster!.base}/#/jobs/${b}`);
    await page.locator('[data-testid="payload"]', { hasText: script }).waitFor();
    expect(await page.locator('[data-testid="payload"]').textContent()).toContain(img);
    expect(await page.locator('main script, main img').count()).toBe(0);
    expect(watched!.problems).toEqual([]);
  });

  it('given a 1 MiB payload, then its page opens quickly, shows the first 64 KiB with a download, and stays responsive', async () => {
    const page = await open({ 'max-payload': '2MiB' });
    const text = 'abcdefgh'.repeat(128 * 1024);
    const id = (await call('POST', '/v1/jobs', { type: 'echo', payload: { text } })).body.id;
    const started = Date.now();
    await page.goto(`${cluster!.base}/#/jobs/${id}`);
    await page.locator('[data-testid="payload"]', { hasText: 'cut at 64 KiB' }).waitFor();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await page.locator('[data-testid="payload"] a[download]').getAttribute('href')).toBe(`/v1/jobs/${id}/payload`);
    // Responsive: a script task and a page change both come back at once.
    const delay = await page.evaluate(() => new Promise<number>((resolve) => {
      const t = performance.now();
      setTimeout(() => resolve(performance.now() - t), 0);
    }));
    expect(delay).toBeLessThan(500);
    const clicked = Date.now();
    await page.click('nav a[href="#/queues"]');
    await page.locator('h1', { hasText: 'Queues' }).waitFor();
    expect(Date.now() - clicked).toBeLessThan(3_000);
    expect(watched!.problems).toEqual([]);
  });
});
