import { describe, expect, it } from 'vitest';
import { newCentre, useServer } from '../factories/index.js';

const APP = 'https://app.example.com';

describe('CORS and the headers every answer carries', () => {
  const srv = useServer({ env: { APP_ORIGINS: APP } });

  it('a preflight from an allowed origin: 204 with the methods, headers, max-age and Vary', async () => {
    const r = await fetch(`${srv.url}/students`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'POST' } });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe(APP);
    expect(r.headers.get('access-control-allow-credentials')).toBe('true');
    expect(r.headers.get('access-control-allow-methods')).toBe('GET,POST,PUT,PATCH,DELETE,OPTIONS');
    expect(r.headers.get('access-control-allow-headers')).toBe('Content-Type,Authorization,X-CSRF-Token,Idempotency-Key,If-Match,X-Request-Id');
    expect(r.headers.get('access-control-max-age')).toBe('600');
    expect(r.headers.get('vary')).toBe('Origin, Access-Control-Request-Headers');
  });

  it('an allowed origin is echoed with credentials and the exposed headers; another origin is not', async () => {
    const ok = await fetch(`${srv.url}/health/live`, { headers: { origin: APP } });
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
    expect(ok.headers.get('access-control-expose-headers')).toBe('ETag,X-Request-Id,Idempotent-Replayed,Retry-After,RateLimit,RateLimit-Policy,Deprecation,Sunset,Location');
    expect(ok.headers.get('vary')).toBe('Origin');
    const other = await fetch(`${srv.url}/health/live`, { headers: { origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await fetch(`${srv.url}/students`, { method: 'OPTIONS', headers: { origin: 'https://evil.example.com' } });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('errors, answers of an authenticated route and idempotent replays carry the request id, security headers, CORS and JSON charset', async () => {
    const { owner } = await newCentre(srv);
    const check = (r: { headers: Headers }, requestId?: string) => {
      if (requestId) expect(r.headers.get('x-request-id')).toBe(requestId);
      else expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.headers.get('access-control-allow-origin')).toBe(APP);
      expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(r.headers.get('cache-control')).toBe('no-store');
    };
    check((await owner.get('/students/nope', { origin: APP })) as never);
    const list = await owner.get('/students', { origin: APP });
    expect(list.status).toBe(200);
    check(list as never);
    const body = { name: 'Toddlers', capacity: 10, ageGroup: 'toddler', ratio: 5 };
    const first = await owner.post('/rooms', body, { origin: APP, 'idempotency-key': 'cors-replay-1', 'x-request-id': 'first-1' });
    expect(first.status).toBe(201);
    const again = await owner.post('/rooms', body, { origin: APP, 'idempotency-key': 'cors-replay-1', 'x-request-id': 'again-1' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
    check(again as never, 'again-1');
  });
});
