import { parseSetCookie, type StoredCookie } from './http.js';

/**
 * Node's fetch keeps no cookies. This one does, like a browser tab on the API's site: it stores Set-Cookie answers
 * and sends the cookies back (by path), and records every call so tests can count them.
 */
export function cookieFetch() {
  const jar = new Map<string, StoredCookie>();
  const calls: string[] = [];
  const fetchWithCookies = async (input: Request): Promise<Response> => {
    const url = new URL(input.url);
    const cookie = [...jar.values()]
      .filter((c) => url.pathname.startsWith(String(c.attributes.path ?? '/')))
      .map((c) => `${c.name}=${encodeURIComponent(c.value)}`)
      .join('; ');
    const headers = new Headers(input.headers);
    if (cookie) headers.set('cookie', cookie);
    calls.push(`${input.method} ${url.pathname}`);
    const res = await fetch(new Request(input, { headers }));
    for (const raw of res.headers.getSetCookie()) {
      const c = parseSetCookie(raw);
      if (c.value === '' || c.attributes['max-age'] === '0') jar.delete(c.name);
      else jar.set(c.name, c);
    }
    return res;
  };
  return { fetch: fetchWithCookies, jar, calls };
}
