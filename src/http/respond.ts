/**
 * HTTP plumbing shared by every route: JSON responses, the one mapping from NucleusError codes to
 * HTTP statuses, and reading a JSON body under a size limit.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, NucleusError, invalidArgument, toNucleusError } from '../errors.js';

/** Every error code as an HTTP status; the error travels as `{ error: { code, message } }`. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  NOT_FOUND: 404,
  FAILED_PRECONDITION: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_EXHAUSTED: 413,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
  REFUSED: 409,
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

/**
 * A refusal with an HTTP status outside the catalogue's mapping (415): it concerns how the body
 * was sent, which gRPC has no counterpart for.
 */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The client closed the connection before its body was read whole; nobody is left to answer. */
export class ClientGone extends Error {
  constructor(readonly receivedBytes: number) {
    super(`the client closed the connection after ${receivedBytes} bytes of its body`);
  }
}

export function sendError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  if (error instanceof HttpRefusal) {
    return sendProblem(res, error.status, error.code, error.message, req.complete ? {} : { connection: 'close' });
  }
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
 * Refuses a body sent in a form this server does not read: a Content-Type that is not JSON
 * (absent is taken as JSON, as most HTTP clients send none by default) or any Content-Encoding but
 * identity (nothing here decompresses, and compressed bytes must not be parsed as JSON).
 */
function checkBodyForm(req: IncomingMessage): void {
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    throw new HttpRefusal(415, 'UNSUPPORTED_MEDIA_TYPE', `content-encoding: "${encoding.slice(0, 40)}" is not supported; send the body uncompressed`);
  }
  const type = req.headers['content-type'];
  if (type === undefined) return;
  const [media, ...params] = type.split(';').map((part) => part.trim().toLowerCase());
  const json = media === 'application/json' || /^application\/[\w.+-]+\+json$/.test(media);
  if (!json) throw new HttpRefusal(415, 'UNSUPPORTED_MEDIA_TYPE', `content-type: "${type.slice(0, 60)}" is not JSON; send application/json`);
  const charset = params.find((p) => p.startsWith('charset='))?.slice(8).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HttpRefusal(415, 'UNSUPPORTED_MEDIA_TYPE', `content-type: charset "${charset.slice(0, 20)}" is not supported; JSON is UTF-8`);
  }
}

/** Byte offset of the first byte that is not part of well-formed UTF-8 (only called on a body that is not). */
export function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > bytes.length) return i;
    // Second byte ranges exclude overlong forms, surrogates and code points past U+10FFFF.
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += length;
  }
  return bytes.length;
}

/**
 * Reads and parses a JSON body. An empty body is `undefined`. Bodies over `limitBytes` are refused
 * with RESOURCE_EXHAUSTED before they are buffered whole; bodies that are not UTF-8 JSON are
 * refused (415 for the wrong Content-Type or Content-Encoding, 400 naming the byte for invalid
 * UTF-8, which would otherwise be silently replaced with U+FFFD). A client that hangs up mid-body
 * is a ClientGone.
 */
export async function readJsonBody(req: IncomingMessage, limitBytes: number, limitHint: string): Promise<unknown> {
  const tooLarge = (bytes: number | string) =>
    new NucleusError(ErrorCode.ResourceExhausted, `request body: ${bytes} bytes is over the limit of ${limitBytes} bytes (${limitHint})`);
  const declared = Number(req.headers['content-length']);
  const hasBody = (Number.isFinite(declared) && declared > 0) || req.headers['transfer-encoding'] !== undefined;
  if (hasBody) checkBodyForm(req);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(declared);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limitBytes) {
        req.pause();
        throw tooLarge(`more than ${limitBytes}`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof NucleusError) throw error;
    throw new ClientGone(total);
  }
  if (total === 0) return undefined;
  const bytes = Buffer.concat(chunks, total);
  if (!isUtf8(bytes)) {
    const at = firstInvalidUtf8(bytes);
    const byte = at < bytes.length ? ` (0x${bytes[at].toString(16).padStart(2, '0')})` : '';
    throw invalidArgument('body', `is not valid UTF-8: the character at byte ${at}${byte} is malformed; JSON must be UTF-8`);
  }
  const text = bytes.toString('utf8');
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) throw invalidArgument('body', `JSON is nested more than ${MAX_JSON_DEPTH} levels deep (the limit)`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidArgument('body', `is not valid JSON (${(error as Error).message})`);
  }
}
