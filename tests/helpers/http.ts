/** A tiny HTTP client with a cookie jar, like a browser tab: sends cookies back, and the CSRF header on unsafe methods. */
export interface StoredCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
  raw: string;
}

export function parseSetCookie(raw: string): StoredCookie {
  const [pair, ...attrs] = raw.split(';').map((s) => s.trim());
  const i = pair!.indexOf('=');
  const attributes: Record<string, string | true> = {};
  for (const a of attrs) {
    const j = a.indexOf('=');
    if (j < 0) attributes[a.toLowerCase()] = true;
    else attributes[a.slice(0, j).toLowerCase()] = a.slice(j + 1);
  }
  return { name: pair!.slice(0, i), value: decodeURIComponent(pair!.slice(i + 1)), attributes, raw };
}

export interface Res<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
  setCookies: StoredCookie[];
}

export class Agent {
  cookies = new Map<string, StoredCookie>();
  csrf = true;
  constructor(readonly baseUrl: string) {}

  clone(): Agent {
    const a = new Agent(this.baseUrl);
    for (const [k, v] of this.cookies) a.cookies.set(k, v);
    return a;
  }

  cookie(name: string) {
    return this.cookies.get(name)?.value;
  }

  private cookieHeader(path: string) {
    return [...this.cookies.values()]
      .filter((c) => path.startsWith(String(c.attributes.path ?? '/')))
      .map((c) => `${c.name}=${encodeURIComponent(c.value)}`)
      .join('; ');
  }

  async request<T = any>(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; raw?: string } = {}): Promise<Res<T>> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const cookie = this.cookieHeader(path.split('?')[0]!);
    if (cookie) headers.cookie = cookie;
    const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(method);
    if (unsafe && this.csrf && this.cookie('__Host-csrf') && !('x-csrf-token' in headers)) headers['x-csrf-token'] = this.cookie('__Host-csrf')!;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.baseUrl + path, { method, headers, body });
    const setCookies = res.headers.getSetCookie().map(parseSetCookie);
    for (const c of setCookies) {
      if (c.value === '' || c.attributes['max-age'] === '0') this.cookies.delete(c.name);
      else this.cookies.set(c.name, c);
    }
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, body: parsed, text, setCookies };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, { headers });
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, { body, headers });
  }
  patch<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PATCH', path, { body, headers });
  }
  put<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PUT', path, { body, headers });
  }
  delete<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('DELETE', path, { headers });
  }
}
