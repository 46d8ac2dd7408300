import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, operations, paths } from './schema.js';
/** The error body of every 4xx/5xx: `{ error: { code, message, requestId, details? } }`. */
export type ApiError = components['schemas']['Error'];
export type ErrorCode = ApiError['error']['code'];

/**
 * The session has ended and could not be refreshed (the refresh token expired, was revoked, or the user signed out in
 * another tab). Sign in again: `POST /auth/exchange` with a fresh Supabase access token.
 */
export class SignedOutError extends Error {
  readonly code = 'SIGNED_OUT' as const;
  constructor(readonly status: number) {
    super('The session has ended; sign in again');
    this.name = 'SignedOutError';
  }
}

export interface DaycareClientOptions {
  /** The API's origin (and path prefix, if any), e.g. `https://api.example.com` or `http://localhost:3000`. */
  baseUrl: string;
  /** A fetch to use instead of the global one (tests, server-side rendering with forwarded cookies). */
  fetch?: (input: Request) => Promise<Response>;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** Called once whenever a refresh fails and the session is gone, before the request rejects with the error. */
  onSignedOut?: (error: SignedOutError) => void;
  /**
   * Refresh and retry on a 401 (default true). Turn it off where new cookies cannot reach the browser — a Next.js
   * server component forwarding the browser's cookies — or the browser's refresh token would be rotated away from it.
   */
  autoRefresh?: boolean;
}

export type DaycareClient = Client<paths> & {
  /** The CSRF token the client sends on unsafe requests (from the last exchange, refresh, switch or GET /me/context). */
  readonly csrfToken: string | undefined;
  /** Refreshes the session now; concurrent callers (and 401s) share one `POST /auth/refresh`. Rejects with SignedOutError. */
  refresh(): Promise<void>;
};

const UNSAFE = /^(POST|PUT|PATCH|DELETE)$/i;
/** Answers whose body carries a new `csrfToken`. */
const CSRF_SOURCES = new Set(['/auth/exchange', '/auth/refresh', '/auth/switch', '/me/context', '/tenants']);
/** A 401 from these is an answer in its own right, not an expired session. */
const NO_REFRESH = (path: string) => path === '/auth/exchange' || path === '/auth/refresh' || path === '/auth/logout' || path.startsWith('/kiosk/');

/** Same-origin pages can read the CSRF cookie; pages on another origin cannot (they rely on the bodies). */
function csrfCookie(): string | undefined {
  const doc = (globalThis as { document?: { cookie?: string } }).document;
  const m = doc?.cookie?.match(/(?:^|;\s*)__Host-csrf=([^;]*)/);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

/**
 * A typed client for the Daycare API: `client.GET('/students', { params: { query: { limit: 20 } } })`.
 * Sends cookies (`credentials: 'include'`), adds `X-CSRF-Token` to unsafe requests, and on a 401 refreshes the session
 * once — however many requests failed at the same time — and retries them.
 */
export function createDaycareClient(options: DaycareClientOptions): DaycareClient {
  const baseFetch = options.fetch ?? ((input: Request) => globalThis.fetch(input));
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');
  const pathOf = (url: string) => new URL(url).pathname.slice(basePath.length) || '/';

  let csrf: string | undefined;
  /** Bumped by every successful refresh: a 401 to a request sent before it needs a retry, not another refresh. */
  let generation = 0;
  let refreshing: Promise<void> | undefined;

  async function send(request: Request): Promise<Response> {
    const token = UNSAFE.test(request.method) && !request.headers.has('x-csrf-token') ? (csrf ?? csrfCookie()) : undefined;
    if (token) {
      const headers = new Headers(request.headers);
      headers.set('X-CSRF-Token', token);
      request = new Request(request, { headers });
    }
    const response = await baseFetch(request);
    const path = pathOf(request.url);
    if (response.ok && CSRF_SOURCES.has(path) && response.headers.get('content-type')?.includes('json')) {
      const body = (await response
        .clone()
        .json()
        .catch(() => null)) as { csrfToken?: unknown } | null;
      if (typeof body?.csrfToken === 'string') csrf = body.csrfToken;
    }
    if (path === '/auth/logout' && response.ok) csrf = undefined;
    return response;
  }

  function refresh(): Promise<void> {
    refreshing ??= (async () => {
      try {
        const response = await send(new Request(`${baseUrl}/auth/refresh`, { method: 'POST', credentials: 'include' }));
        if (!response.ok) {
          csrf = undefined;
          const error = new SignedOutError(response.status);
          options.onSignedOut?.(error);
          throw error;
        }
        generation++;
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  }

  async function fetchWithRefresh(request: Request): Promise<Response> {
    const path = pathOf(request.url);
    const retry = options.autoRefresh === false || NO_REFRESH(path) ? undefined : request.clone();
    const sentAt = generation;
    const response = await send(request);
    if (response.status !== 401 || !retry) return response;
    if (generation === sentAt) await refresh();
    return send(retry);
  }

  const client = createClient<paths>({ baseUrl, credentials: 'include', fetch: fetchWithRefresh, headers: options.headers });
  Object.defineProperty(client, 'csrfToken', { get: () => csrf, enumerable: true });
  return Object.assign(client, { refresh }) as DaycareClient;
}
