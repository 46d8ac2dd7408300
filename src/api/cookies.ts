import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { IssuedSession } from '../auth/session-state.js';

export const COOKIE = {
  session: '__Host-session',
  refresh: '__Secure-refresh',
  csrf: '__Host-csrf',
} as const;

/** The three cookies of CONTRACT §3, with exactly its attributes. */
export function setSessionCookies(c: Context, s: IssuedSession, lifetimes: { accessTtl: number; refreshTtl: number }) {
  setCookie(c, COOKIE.session, s.accessToken, { httpOnly: true, secure: true, sameSite: 'Lax', path: '/', maxAge: lifetimes.accessTtl });
  if (s.refreshToken)
    setCookie(c, COOKIE.refresh, s.refreshToken, { httpOnly: true, secure: true, sameSite: 'Strict', path: '/auth', maxAge: lifetimes.refreshTtl });
  setCsrfCookie(c, s.csrfToken, lifetimes.refreshTtl);
}

export function setCsrfCookie(c: Context, token: string, maxAge: number) {
  setCookie(c, COOKIE.csrf, token, { httpOnly: false, secure: true, sameSite: 'Lax', path: '/', maxAge });
}

export function clearSessionCookies(c: Context) {
  deleteCookie(c, COOKIE.session, { path: '/', secure: true, httpOnly: true, sameSite: 'Lax' });
  deleteCookie(c, COOKIE.refresh, { path: '/auth', secure: true, httpOnly: true, sameSite: 'Strict' });
  deleteCookie(c, COOKIE.csrf, { path: '/', secure: true, sameSite: 'Lax' });
}
