/**
 * The one way the web app talks to onair. Login prefers the httpOnly session cookie
 * (`POST /api/v1/session`); a server without it gets the token as a bearer header, kept in
 * sessionStorage so it dies with the tab.
 */

const TOKEN_KEY = 'onair.token';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: { path: string; message: string }[];
  constructor(
    status: number,
    code: string,
    message: string,
    issues: { path: string; message: string }[] = [],
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}

interface AuthState {
  status: 'checking' | 'in' | 'out';
  user: string | null;
  mode: 'cookie' | 'bearer';
}

export const auth = $state<AuthState>({ status: 'checking', user: null, mode: 'cookie' });

function bearer(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function authHeaders(): Record<string, string> {
  const token = bearer();
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

async function send(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (signal) init.signal = signal;
  return fetch(path, init);
}

async function errorOf(res: Response): Promise<ApiError> {
  try {
    const json = (await res.json()) as {
      error?: { code?: string; message?: string; issues?: { path: string; message: string }[] };
    };
    return new ApiError(
      res.status,
      json.error?.code ?? 'error',
      json.error?.message ?? res.statusText,
      json.error?.issues ?? [],
    );
  } catch {
    return new ApiError(res.status, 'error', `${res.status} ${res.statusText}`);
  }
}

/** Calls the API; a 401 anywhere means the session is gone. */
export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const res = await send(method, path, body, signal);
  if (res.status === 401 && auth.status === 'in') auth.status = 'out';
  if (!res.ok) throw await errorOf(res);
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

/** Like `api`, but a 404 (an API this server does not have yet) is `null`. */
export async function optionalApi<T>(
  method: string,
  path: string,
  body?: unknown,
): Promise<T | null> {
  try {
    return await api<T>(method, path, body);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && error.message.startsWith('no route'))
      return null;
    throw error;
  }
}

export async function login(token: string): Promise<void> {
  const res = await send('POST', '/api/v1/session', { token });
  if (res.ok) {
    sessionStorage.removeItem(TOKEN_KEY);
    const who = (await res.json()) as { user?: string };
    auth.user = who.user ?? null;
    auth.mode = 'cookie';
    auth.status = 'in';
    return;
  }
  // 404: no session route on this server; 401 also comes from servers whose auth guards unknown
  // routes. Either way, check the token directly and keep it for this tab.
  if (res.status !== 404 && res.status !== 401) throw await errorOf(res);
  const check = await fetch('/api/v1/channels', {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
  });
  if (!check.ok) throw await errorOf(check);
  sessionStorage.setItem(TOKEN_KEY, token);
  auth.user = null;
  auth.mode = 'bearer';
  auth.status = 'in';
}

export async function logout(): Promise<void> {
  sessionStorage.removeItem(TOKEN_KEY);
  await send('DELETE', '/api/v1/session').catch(() => undefined);
  auth.status = 'out';
  auth.user = null;
}

/** At start: are we already signed in (cookie or stored token)? */
export async function restore(): Promise<void> {
  const session = await send('GET', '/api/v1/session');
  if (session.ok) {
    const who = (await session.json()) as { user?: string };
    auth.user = who.user ?? null;
    auth.mode = bearer() === null ? 'cookie' : 'bearer';
    auth.status = 'in';
    return;
  }
  if (bearer() !== null) {
    const check = await send('GET', '/api/v1/channels');
    auth.mode = 'bearer';
    auth.status = check.ok ? 'in' : 'out';
    return;
  }
  auth.status = 'out';
}

/** Downloads an authenticated resource as a file (works with the cookie and with a bearer token). */
export async function download(path: string, filename: string): Promise<void> {
  const res = await send('GET', path);
  if (!res.ok) throw await errorOf(res);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 10_000);
}
