import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, operations, paths } from './schema.js';
/** The error body of every 4xx/5xx: `{ error: { code, message, requestId, details? } }`. */
export type ApiError = components['schemas']['Error'];
export type ErrorCode = ApiError['error']['code'];

/**
 * What `onSignedOut` is told: the session has ended and could not be refreshed (the refresh token expired, was revoked,
 * or the user signed out in another tab). The request itself still resolves, as every API error does, with its typed
 * 401 (`error.error.code === 'UNAUTHENTICATED'`). Sign in again: `POST /auth/exchange` with a fresh Supabase token.
 */
export interface SignedOut {
  readonly code: 'SIGNED_OUT';
  /** The status of the refresh that failed (401). */
  readonly status: number;
}

/**
 * A minimal cookie jar for Node (and other runtimes whose fetch keeps no cookies): it stores the Set-Cookie answers of
 * the API's origin and sends them back by path, as a browser tab would. Browsers keep cookies themselves: leave it out.
 */
export interface CookieJar {
  /** The Cookie header for a request URL ('' when none). */
  header(url: string): string;
  /** Takes the Set-Cookie headers of an answer. */
  store(response: Response): void;
  /** A cookie's value, or undefined. */
  get(name: string): string | undefined;
  clear(): void;
}

export function createCookieJar(): CookieJar {
  const cookies = new Map<string, { value: string; path: string; expires: number }>();
  const live = (name: string) => {
    const c = cookies.get(name);
    if (c && c.expires <= Date.now()) cookies.delete(name);
    return cookies.get(name);
  };
  return {
    header(url) {
      const path = new URL(url).pathname;
      return [...cookies.keys()]
        .map((name) => [name, live(name)] as const)
        .filter(([, c]) => c && (path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)))
        .map(([name, c]) => `${name}=${c!.value}`)
        .join('; ');
    },
    store(response) {
      const list = typeof response.headers.getSetCookie === 'function' ? response.headers.getSetCookie() : [];
      for (const raw of list) {
        const [pair = '', ...attributes] = raw.split(';').map((p) => p.trim());
        const eq = pair.indexOf('=');
        if (eq <= 0) continue;
        const name = pair.slice(0, eq);
        let path = '/';
        let expires = Infinity;
        for (const a of attributes) {
          const [k = '', v = ''] = a.split('=');
          const key = k.toLowerCase();
          if (key === 'path' && v.startsWith('/')) path = v;
          else if (key === 'max-age') expires = Date.now() + Number(v) * 1000;
          else if (key === 'expires' && expires === Infinity) expires = Date.parse(v) || Infinity;
        }
        if (expires <= Date.now()) cookies.delete(name);
        else cookies.set(name, { value: pair.slice(eq + 1), path, expires });
      }
    },
    get: (name) => live(name)?.value,
    clear: () => cookies.clear(),
  };
}

export interface DaycareClientOptions {
  /** The API's origin (and path prefix, if any), e.g. `https://api.example.com` or `http://localhost:3000`. */
  baseUrl: string;
  /** A fetch to use instead of the global one (tests, server-side rendering with forwarded cookies). */
  fetch?: (input: Request) => Promise<Response>;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** Called once whenever a refresh fails and the session is gone; the requests then resolve with their typed 401. */
  onSignedOut?: (signedOut: SignedOut) => void;
  /**
   * Keep cookies in the client (Node, tests, scripts): `true` for a new jar, or your own (`createCookieJar()`). In a
   * browser leave it out: the browser keeps the HttpOnly cookies (`credentials: 'include'`).
   */
  cookieJar?: boolean | CookieJar;
  /**
   * Refresh and retry on a 401 (default true). Turn it off where new cookies cannot reach the browser — a Next.js
   * server component forwarding the browser's cookies — or the browser's refresh token would be rotated away from it.
   */
  autoRefresh?: boolean;
}

export type DaycareClient = Client<paths> & {
  /** The CSRF token the client sends on unsafe requests (from the last exchange, refresh, switch or GET /me/context). */
  readonly csrfToken: string | undefined;
  /** Refreshes the session now; concurrent callers (and 401s) share one `POST /auth/refresh`. False when signed out. */
  refresh(): Promise<boolean>;
  /** The cookie jar, when the client keeps cookies itself (`cookieJar` option). */
  readonly cookies: CookieJar | undefined;
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
 * Sends cookies (`credentials: 'include'`, or its own jar), adds `X-CSRF-Token` to unsafe requests, and on a 401
 * refreshes the session once — however many requests failed at the same time — and retries them.
 *
 * One error style: every API error, the signed-out case included, is a typed result (`{ data, error, response }` with
 * `error.error.code` one of the contract's codes); nothing is thrown for an HTTP status. Only a network failure
 * (fetch itself rejecting) rejects the promise.
 */
export function createDaycareClient(options: DaycareClientOptions): DaycareClient {
  const jar = options.cookieJar === true ? createCookieJar() : options.cookieJar || undefined;
  const rawFetch = options.fetch ?? ((input: Request) => globalThis.fetch(input));
  const baseFetch = !jar
    ? rawFetch
    : async (input: Request) => {
        const cookie = jar.header(input.url);
        let request = input;
        if (cookie) {
          const headers = new Headers(input.headers);
          headers.set('cookie', cookie);
          request = new Request(input, { headers });
        }
        const response = await rawFetch(request);
        jar.store(response);
        return response;
      };
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');
  const pathOf = (url: string) => new URL(url).pathname.slice(basePath.length) || '/';

  let csrf: string | undefined;
  /** Bumped by every successful refresh: a 401 to a request sent before it needs a retry, not another refresh. */
  let generation = 0;

  async function send(request: Request): Promise<Response> {
    const token = UNSAFE.test(request.method) && !request.headers.has('x-csrf-token') ? (csrf ?? jar?.get('__Host-csrf') ?? csrfCookie()) : undefined;
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

  let refreshing: Promise<boolean> | undefined;
  function refresh(): Promise<boolean> {
    refreshing ??= (async () => {
      try {
        const response = await send(new Request(`${baseUrl}/auth/refresh`, { method: 'POST', credentials: 'include' }));
        if (!response.ok) {
          csrf = undefined;
          options.onSignedOut?.({ code: 'SIGNED_OUT', status: response.status });
          return false;
        }
        generation++;
        return true;
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
    // Signed out: the request's own typed 401 is the answer (onSignedOut has been told).
    if (generation === sentAt && !(await refresh())) return response;
    return send(retry);
  }

  const client = createClient<paths>({ baseUrl, credentials: 'include', fetch: fetchWithRefresh, headers: options.headers });
  Object.defineProperty(client, 'csrfToken', { get: () => csrf, enumerable: true });
  return Object.assign(client, { refresh, cookies: jar }) as DaycareClient;
}
