/**
 * Driving the dashboard in Debian's Chromium (/usr/bin/chromium) with playwright-core, against a
 * real master started in this process on a fixed free HTTP port (so that a restarted master is
 * found at the same address). Every page records console errors, page errors and CSP violations,
 * so a test can say there were none.
 */
import { createServer } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { createHttpGateway } from '../../src/http/plugin.js';
import type { MasterFlags } from '../../src/config.js';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launchBrowser(): Promise<Browser> {
  // Playwright gives every launch a fresh, temporary user-data directory.
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface DashboardCluster extends TestCluster {
  base: string;
}

export async function startDashboard(flags: MasterFlags = {}): Promise<DashboardCluster> {
  const port = await freePort();
  const cluster = await startCluster({ master: flags, http: createHttpGateway({ port, processMetrics: false }) });
  return Object.assign(cluster, { base: `http://127.0.0.1:${port}` });
}

export interface Watched {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught errors, CSP violations and dialogs (alert) seen so far. */
  problems: string[];
}

/** A fresh context and page that records every problem. */
export async function openPage(browser: Browser): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1240, height: 760 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.exposeFunction('__cspViolation', (text: string) => problems.push(`csp: ${text}`));
  // Runs in the page (DOM types are not in this project's Node program, hence the casts).
  await page.addInitScript(() => {
    const page = globalThis as unknown as {
      document: { addEventListener(type: string, listener: (e: { violatedDirective: string; blockedURI: string }) => void): void };
      __cspViolation(text: string): void;
    };
    page.document.addEventListener('securitypolicyviolation', (e) => page.__cspViolation(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return { page, context, problems };
}
