import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLocalSupabaseToken } from '../../src/core/security/supabase.js';
import { parseSetCookie } from '../helpers/http.js';
import { cookiePairs, lambdaContext, v2Event } from './events.js';

/**
 * The Lambda entry driven with API Gateway HTTP API v2 events, exactly as the gateway would (no socket): PGlite in a
 * temporary DATA_DIR by default (migrated on the cold start), the PostgreSQL server when DATABASE_URL is set.
 */
type Result = { statusCode: number; headers: Record<string, string>; cookies?: string[]; body: string; isBase64Encoded: boolean };
let handler: (event: unknown, context?: unknown) => Promise<Result>;
let runtime: typeof import('../../src/entrypoints/lambda-runtime.js');
const savedEnv = { ...process.env };

beforeAll(async () => {
  process.env.NODE_ENV = 'test';
  process.env.DATA_DIR = await mkdtemp(path.join(os.tmpdir(), 'daycare-lambda-'));
  process.env.LOG_LEVEL = 'silent';
  delete process.env.SUPABASE_URL;
  delete process.env.SUPABASE_JWT_SECRET;
  delete process.env.SESSION_SECRET;
  runtime = await import('../../src/entrypoints/lambda-runtime.js');
  ({ handler } = (await import('../../src/entrypoints/lambda-api.js')) as unknown as { handler: typeof handler });
  await runtime.getContainer(); // the cold start (PGlite: creating and migrating the database takes a while)
});

afterAll(async () => {
  await runtime?.resetForTests();
  process.env = savedEnv;
});

const json = (r: Result) => JSON.parse(r.body);
const invoke = (event: ReturnType<typeof v2Event>) => handler(event, lambdaContext);

async function signIn(email: string) {
  const container = await runtime.getContainer();
  const token = await signLocalSupabaseToken(container.localAuthSecret!, email);
  const res = await invoke(v2Event('POST', '/auth/exchange', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accessToken: token }) }));
  expect(res.statusCode, res.body).toBe(200);
  return res;
}
const email = (p: string) => `${p}.${process.pid}.${Date.now().toString(36)}@example.test`;

describe('Lambda API handler with API Gateway v2 events', () => {
  it('answers GET /health/live with 200 and the gateway request id', async () => {
    const res = await invoke(v2Event('GET', '/health/live', { requestId: 'JKJaXmPLvHcESHA=' }));
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ status: 'ok' });
    expect(res.headers['x-request-id']).toBe('JKJaXmPLvHcESHA=');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.isBase64Encoded).toBe(false);
  });

  it('keeps a client-sent X-Request-Id over the gateway id', async () => {
    const res = await invoke(v2Event('GET', '/health/live', { headers: { 'x-request-id': 'client-id-123' }, requestId: 'Gateway0000=' }));
    expect(res.headers['x-request-id']).toBe('client-id-123');
  });

  it('answers /health/ready with the database checked', async () => {
    const res = await invoke(v2Event('GET', '/health/ready'));
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res).checks.database).toBe('ok');
  });

  it('signs in: /auth/exchange returns the three cookies in result.cookies, then /me/context works with event.cookies', async () => {
    const who = email('lambda');
    const res = await signIn(who);
    expect(res.headers['set-cookie']).toBeUndefined();
    const cookies = (res.cookies ?? []).map(parseSetCookie);
    const byName = Object.fromEntries(cookies.map((c) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(['__Host-csrf', '__Host-session', '__Secure-refresh']);
    expect(byName['__Host-session']!.attributes).toMatchObject({ path: '/', secure: true, httponly: true, samesite: 'Lax' });
    expect(byName['__Secure-refresh']!.attributes).toMatchObject({ path: '/auth', secure: true, httponly: true, samesite: 'Strict' });
    expect(byName['__Host-csrf']!.attributes).toMatchObject({ path: '/', secure: true, samesite: 'Lax' });
    expect(byName['__Host-csrf']!.attributes.httponly).toBeUndefined();
    expect(json(res).csrfToken).toBe(byName['__Host-csrf']!.value);
    expect(res.headers['cache-control']).toBe('no-store');

    const me = await invoke(v2Event('GET', '/me/context', { cookies: cookiePairs(res.cookies!) }));
    expect(me.statusCode, me.body).toBe(200);
    expect(json(me).user.email).toBe(who);
    expect(json(me).csrfToken).toBe(byName['__Host-csrf']!.value);
  });

  it('decodes a base64-encoded JSON body and passes the query string to the route', async () => {
    const res = await signIn(email('b64'));
    const cookies = cookiePairs(res.cookies!);
    const csrf = json(res).csrfToken as string;
    const created = await invoke(
      v2Event('POST', '/tenants', {
        cookies,
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ name: 'Crèche Étoile — base64', timezone: 'Europe/Paris' }),
        base64: true,
      }),
    );
    expect(created.statusCode, created.body).toBe(201);
    expect(json(created).tenant.name).toBe('Crèche Étoile — base64');
    // The switch to the new centre came back as new cookies.
    const switched = cookiePairs(created.cookies!);

    const page = await invoke(v2Event('GET', '/memberships', { cookies: switched, query: 'limit=1' }));
    expect(page.statusCode, page.body).toBe(200);
    expect(json(page).items).toHaveLength(1);
    const bad = await invoke(v2Event('GET', '/memberships', { cookies: switched, query: 'limit=abc' }));
    expect(bad.statusCode).toBe(400);
    expect(json(bad).error.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(json(bad).error.details)).toContain('limit');
  });

  it('records the caller address from requestContext.http.sourceIp, not X-Forwarded-For', async () => {
    const who = email('ip');
    const container = await runtime.getContainer();
    const token = await signLocalSupabaseToken(container.localAuthSecret!, who);
    const res = await invoke(
      v2Event('POST', '/auth/exchange', {
        sourceIp: '198.51.100.7',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.9.9.9' },
        body: JSON.stringify({ accessToken: token }),
      }),
    );
    expect(res.statusCode).toBe(200);
    const rows = await container.db.raw.execute(
      sql`select s.ip from sessions s join users u on u.id = s.user_id where u.email = ${who}`,
    );
    const list = (Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows) as { ip: string }[];
    expect(list.map((r) => r.ip)).toEqual(['198.51.100.7']);
  });

  it('answers errors in the contract shape with the request id', async () => {
    const nope = await invoke(v2Event('GET', '/nope', { requestId: 'NopeReqId01=' }));
    expect(nope.statusCode).toBe(404);
    expect(json(nope)).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String), requestId: 'NopeReqId01=' } });
    expect(nope.headers['x-request-id']).toBe('NopeReqId01=');

    const anon = await invoke(v2Event('GET', '/me/context', { requestId: 'AnonReqId01=' }));
    expect(anon.statusCode).toBe(401);
    expect(json(anon)).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String), requestId: 'AnonReqId01=' } });
  });

  it('builds the container once per environment', async () => {
    const a = await runtime.getContainer();
    await invoke(v2Event('GET', '/health/live'));
    expect(await runtime.getContainer()).toBe(a);
  });
});
