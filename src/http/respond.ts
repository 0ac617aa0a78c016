/**
 * HTTP plumbing shared by every route: JSON responses, the one mapping from NucleusError codes to
 * HTTP statuses, and reading a JSON body under a size limit.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, NucleusError, invalidArgument, toNucleusError } from '../errors.js';

/** Every error code as an HTTP status; the error travels as `{ error: { code, message } }`. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  NOT_FOUND: 404,
  FAILED_PRECONDITION: 409,
  RESOURCE_EXHAUSTED: 413,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** An error body with a code outside the catalogue (404 route, 405 method). */
export function sendProblem(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { code, message } }, headers);
}

export function sendError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  const e = toNucleusError(error);
  const headers: Record<string, string> = {};
  // A body we stopped reading must not be parsed as the next request on this connection.
  if (!req.complete) headers.connection = 'close';
  if (e.code === ErrorCode.Unavailable) headers['retry-after'] = '1';
  sendJson(res, HTTP_STATUS[e.code] ?? 500, { error: { code: e.code, message: e.message } }, headers);
}

/**
 * Deepest nesting accepted in a JSON body. JSON.parse copes with any depth, but the code that
 * walks the value afterwards (JSON.stringify of a payload) overflows the stack near 10,000 levels.
 */
export const MAX_JSON_DEPTH = 128;

/** Whether brackets outside strings nest deeper than `limit`; one pass, stops at the first excess. */
function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * Reads and parses a JSON body. An empty body is `undefined`. Bodies over `limitBytes` are refused
 * with RESOURCE_EXHAUSTED before they are buffered whole.
 */
export async function readJsonBody(req: IncomingMessage, limitBytes: number, limitHint: string): Promise<unknown> {
  const tooLarge = (bytes: number | string) =>
    new NucleusError(ErrorCode.ResourceExhausted, `request body: ${bytes} bytes is over the limit of ${limitBytes} bytes (${limitHint})`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(declared);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limitBytes) {
      req.pause();
      throw tooLarge(`more than ${limitBytes}`);
    }
    chunks.push(chunk);
  }
  if (total === 0) return undefined;
  const text = Buffer.concat(chunks, total).toString('utf8');
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) throw invalidArgument('body', `JSON is nested more than ${MAX_JSON_DEPTH} levels deep (the limit)`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidArgument('body', `is not valid JSON (${(error as Error).message})`);
  }
}
