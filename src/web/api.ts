/**
 * The page's one door to the master: same-origin fetches of JSON, with the CSRF token on every
 * POST (fetched from /v1/ui/session, fetched again once when the master answers that it is stale,
 * as after a restart), and errors turned into ApiError with the master's own message.
 */

export interface PageConfig {
  base: string;
  readOnly: boolean;
  tokenRequired: boolean;
  version: string;
}

export function pageConfig(): PageConfig {
  const meta = document.querySelector('meta[name="nucleus-config"]');
  return JSON.parse(meta?.getAttribute('content') ?? '{}') as PageConfig;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Session {
  tokenRequired: boolean;
  signedIn: boolean;
  csrf: string | null;
  readOnly: boolean;
  version: string;
}

let csrf: string | null = null;

export async function session(): Promise<Session> {
  const s = await request<Session>('GET', '/v1/ui/session');
  csrf = s.csrf;
  return s;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-nucleus-csrf'] = csrf;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'UNREACHABLE', 'the master is not answering');
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(response.status, error?.code ?? String(response.status), error?.message ?? (text.slice(0, 200) || response.statusText));
  }
  return parsed as T;
}

export const get = <T>(path: string): Promise<T> => request<T>('GET', path);

export async function post<T>(path: string, body?: unknown): Promise<T> {
  try {
    return await request<T>('POST', path, body ?? {});
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'CSRF_TOKEN') throw error;
    await session();
    return request<T>('POST', path, body ?? {});
  }
}

export const query = (params: Record<string, string | number | boolean | undefined | null>): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : '';
};
