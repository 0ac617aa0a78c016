/**
 * Helpers for tests of the master's HTTP server: a cluster with the gateway on a free loopback
 * port, and a small JSON client over fetch.
 */
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { createHttpGateway } from '../../src/http/plugin.js';
import type { MasterFlags } from '../../src/config.js';

export interface HttpReply {
  status: number;
  headers: Headers;
  /** Parsed JSON (null when the body is not JSON); its shape is what the test checks. */
  body: any;
  text: string;
}

export async function startHttpCluster(master: MasterFlags = {}): Promise<TestCluster & { base: string }> {
  const cluster = await startCluster({ master, http: createHttpGateway({ port: 0, processMetrics: false }) });
  return Object.assign(cluster, { base: `http://127.0.0.1:${cluster.running.httpPort}` });
}

/** One request; `body` is sent as JSON unless it is already a string. */
export async function api(base: string, method: string, path: string, body?: unknown): Promise<HttpReply> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}
