/**
 * The `http_request` job type: one HTTP call. A 2xx answer completes the job; any other status,
 * or a network error, is a retryable error. The response body is kept up to 1 MiB.
 *
 * Every connection, the first and each redirect's, goes through the worker's network policy
 * (network-guard.ts): a URL whose host is, or resolves at connect time to, a loopback, private or
 * link-local address fails the job at once unless the worker allows it. Hence node:http with a
 * checking `lookup` rather than fetch, whose resolver cannot be watched.
 *
 * Payload: {"url": "https://...", "method": "POST", "headers": {...}, "body": "..." or JSON, "timeout": seconds}
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { z } from 'zod';
import { parsePayload } from './builtin.js';
import { NonRetryableError, type Handler } from './handler.js';
import type { NetworkPolicy } from './network-guard.js';

const BODY_LIMIT = 1024 * 1024;
/** As many as fetch follows. */
const MAX_REDIRECTS = 20;
/** Headers that must not follow a redirect to another origin. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

const httpSchema = z.object({
  url: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.unknown().optional(),
  timeout: z.number().positive().max(3600).default(30),
});

interface Call {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

interface Answer {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: string;
}

export function httpRequestHandler(policy: NetworkPolicy): Handler {
  return async (payload, ctx) => {
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
    let call: Call = { url: new URL(spec.url), method: spec.method, headers, body };
    for (let redirects = 0; ; redirects++) {
      const answer = await send(call, policy, signal);
      const location = answer.headers.location;
      if (answer.status < 300 || answer.status > 399 || answer.status === 304 || !location) {
        if (answer.status < 200 || answer.status > 299) throw new Error(`${spec.method} ${spec.url} answered ${answer.status} ${answer.statusText}`);
        return { status: answer.status, headers: answer.headers, body: answer.body };
      }
      if (redirects === MAX_REDIRECTS) throw new Error(`${spec.method} ${spec.url}: more than ${MAX_REDIRECTS} redirects`);
      call = redirected(call, answer.status, location);
    }
  };
}

/** The next call after a redirect, as fetch makes it. */
function redirected(call: Call, status: number, location: string): Call {
  const url = new URL(location, call.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new NonRetryableError(`redirected to ${url.protocol} URL ${url.href}: only http and https are followed`);
  const headers = { ...call.headers };
  if (url.origin !== call.url.origin) for (const name of Object.keys(headers)) if (CREDENTIAL_HEADERS.includes(name.toLowerCase())) delete headers[name];
  const toGet = status === 303 ? call.method !== 'HEAD' : (status === 301 || status === 302) && call.method === 'POST';
  if (!toGet) return { url, method: call.method, headers, body: call.body };
  for (const name of Object.keys(headers)) if (/^content-(type|length)$/i.test(name)) delete headers[name];
  return { url, method: 'GET', headers, body: undefined };
}

/** One request, its connection checked by the policy; resolves with the answer (body capped). */
function send(call: Call, policy: NetworkPolicy, signal: AbortSignal): Promise<Answer> {
  const host = call.url.hostname.replace(/^\[|\]$/g, '');
  // A literal address is connected to without a lookup, so it is checked here.
  if (isIP(host)) {
    const refusal = policy.refusal(host, host);
    if (refusal) return Promise.reject(new NonRetryableError(refusal));
  }
  let refused: string | null = null;
  const lookup = (hostname: string, options: LookupOptions, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      const usable = addresses.filter((a) => {
        const refusal = policy.refusal(host, a.address);
        refused ??= refusal;
        return refusal === null;
      });
      if (usable.length === 0) return callback(Object.assign(new Error(refused ?? `${hostname}: no address`), { code: 'EREFUSED_BY_POLICY' }));
      if (options.all) callback(null, usable);
      else callback(null, usable[0].address, usable[0].family);
    });
  };
  const headers: Record<string, string> = { ...call.headers };
  if (call.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
    headers['content-length'] = String(Buffer.byteLength(call.body));
  }
  const request = call.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Answer>((resolve, reject) => {
    const fail = (error: Error) => reject(refused && /EREFUSED_BY_POLICY/.test(String((error as NodeJS.ErrnoException).code)) ? new NonRetryableError(refused) : error);
    const req = request(call.url, { method: call.method, headers, signal, lookup: lookup as never }, (res) => {
      readCapped(res).then(
        (body) => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: flatHeaders(res), body }),
        fail,
      );
    });
    req.on('error', fail);
    req.end(call.body);
  });
}

function readCapped(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      if (size >= BODY_LIMIT) return;
      chunks.push(chunk);
      size += chunk.length;
    });
    res.on('end', () => resolve(Buffer.concat(chunks).subarray(0, BODY_LIMIT).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('the response was cut off')));
  });
}

function flatHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}
