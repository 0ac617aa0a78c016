/**
 * The `http_request` job type: one HTTP call. A 2xx answer completes the job; any other status,
 * or a network error, is a retryable error. The response body is kept up to 1 MiB.
 *
 * Payload: {"url": "https://...", "method": "POST", "headers": {...}, "body": "..." or JSON, "timeout": seconds}
 */
import { z } from 'zod';
import { parsePayload } from './builtin.js';
import type { Handler } from './handler.js';

const BODY_LIMIT = 1024 * 1024;

const httpSchema = z.object({
  url: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.unknown().optional(),
  timeout: z.number().positive().max(3600).default(30),
});

export const httpRequestHandler: Handler = async (payload, ctx) => {
  const spec = parsePayload(httpSchema, payload, '{"url": "http(s)://...", "method": "GET|POST|...", "headers": {}, "body": ..., "timeout": seconds}');
  const headers = { ...spec.headers };
  let body: string | undefined;
  if (spec.body !== undefined && spec.method !== 'GET' && spec.method !== 'HEAD') {
    body = typeof spec.body === 'string' ? spec.body : JSON.stringify(spec.body);
    if (typeof spec.body !== 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
  }
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(spec.timeout * 1000)]);
  const response = await fetch(spec.url, { method: spec.method, headers, body, signal, redirect: 'follow' });
  const text = Buffer.from(await response.arrayBuffer()).subarray(0, BODY_LIMIT).toString('utf8');
  if (!response.ok) throw new Error(`${spec.method} ${spec.url} answered ${response.status} ${response.statusText}`);
  return { status: response.status, headers: Object.fromEntries(response.headers), body: text };
};
