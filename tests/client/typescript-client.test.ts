import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaycareClient, type DaycareClient, type SignedOut } from '../../clients/typescript/src/index.js';
import { ManualClock } from '../../src/core/clock.js';
import { startServer, uniqueEmail, type TestServer } from '../helpers/server.js';

/**
 * The typed client of clients/typescript against the real server over a real socket: sign in with a local token,
 * create, list, check in, a typed 404, and an access token that expires mid-run (ACCESS_TOKEN_TTL_SECONDS=30 and a
 * clock the test moves), refreshed once for several requests that fail together. The client keeps the cookies itself
 * (`cookieJar: true`): the fetch below only counts the calls.
 */
describe('clients/typescript against the real server', () => {
  const clock = new ManualClock();
  let srv: TestServer;
  let client: DaycareClient;
  const http = {
    calls: [] as string[],
    fetch: (input: Request) => {
      http.calls.push(`${input.method} ${new URL(input.url).pathname}`);
      return fetch(input);
    },
  };
  const signedOut: SignedOut[] = [];
  let studentIds: string[] = [];

  beforeAll(async () => {
    srv = await startServer({ clock, env: { ACCESS_TOKEN_TTL_SECONDS: '30' } });
    client = createDaycareClient({ baseUrl: srv.url, fetch: http.fetch, cookieJar: true, onSignedOut: (e) => signedOut.push(e) });
  });
  afterAll(() => srv.close());

  it('signs in with a local token and keeps the CSRF token for unsafe requests', async () => {
    const email = uniqueEmail('client');
    const { data, error, response } = await client.POST('/auth/exchange', { body: { accessToken: await srv.token(email) } });
    expect(error, JSON.stringify(error)).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data!.user.email).toBe(email);
    expect(client.csrfToken).toBe(data!.csrfToken);
    expect(client.cookies!.get('__Host-session')).toBeTruthy();
    expect(client.cookies!.header(`${srv.url}/auth/refresh`)).toContain('__Secure-refresh=');
    expect(client.cookies!.header(`${srv.url}/students`)).not.toContain('__Secure-refresh=');

    const created = await client.POST('/tenants', { body: { name: 'Client Centre', timezone: 'Europe/London' } });
    expect(created.response.status).toBe(201);
    expect(created.data!.tenant.name).toBe('Client Centre');
    expect(client.csrfToken).toBe(created.data!.csrfToken);
    const ctx = await client.GET('/me/context');
    expect(ctx.data!.tenant?.name).toBe('Client Centre');
    expect(ctx.data!.membership?.roles).toContain('owner');
  });

  it('creates and lists children, checks one in, and reads a typed 404', async () => {
    const room = await client.POST('/rooms', { body: { name: 'Butterflies', capacity: 10 } });
    expect(room.response.status).toBe(201);
    for (const firstName of ['Ada', 'Grace', 'Mary']) {
      const s = await client.POST('/students', { body: { firstName, lastName: 'Client', dateOfBirth: '2022-02-02', roomId: room.data!.id } });
      expect(s.response.status, JSON.stringify(s.error)).toBe(201);
      studentIds.push(s.data!.id);
    }
    const list = await client.GET('/students', { params: { query: { limit: 2 } } });
    expect(list.data!.items.map((s) => s.firstName)).toHaveLength(2);
    expect(list.data!.nextCursor).toEqual(expect.any(String));
    const rest = await client.GET('/students', { params: { query: { limit: 2, cursor: list.data!.nextCursor! } } });
    expect(rest.data!.items).toHaveLength(1);
    studentIds = [...list.data!.items, ...rest.data!.items].map((s) => s.id);

    const checkIn = await client.POST('/attendance/check-in', { body: { studentId: studentIds[0]! } });
    expect(checkIn.response.status, JSON.stringify(checkIn.error)).toBe(201);
    expect(checkIn.data!.studentId).toBe(studentIds[0]);
    expect(checkIn.response.headers.get('etag')).toBe(`"${checkIn.data!.version}"`);
    const again = await client.POST('/attendance/check-in', { body: { studentId: studentIds[0]! } });
    expect(again.response.status).toBe(409);
    expect(again.error!.error.code).toBe('CONFLICT');

    const missing = await client.GET('/students/{id}', { params: { path: { id: '0196f1a4-0000-7000-8000-000000000000' } } });
    expect(missing.data).toBeUndefined();
    expect(missing.response.status).toBe(404);
    const code: 'NOT_FOUND' | string = missing.error!.error.code;
    expect(code).toBe('NOT_FOUND');
    expect(missing.error!.error.requestId).toBe(missing.response.headers.get('x-request-id'));
  });

  it('refreshes an expired access token once for requests that fail together, and retries them (bodies included)', async () => {
    const csrfBefore = client.csrfToken;
    clock.advance(31_000);
    const before = http.calls.length;
    const [a, b, c, checkIn, checkOut] = await Promise.all([
      client.GET('/students/{id}', { params: { path: { id: studentIds[1]! } } }),
      client.GET('/students', { params: { query: { limit: 1 } } }),
      client.GET('/me/context'),
      client.POST('/attendance/check-in', { body: { studentId: studentIds[1]!, note: 'after the refresh' } }),
      client.POST('/attendance/check-out', { body: { studentId: studentIds[0]! } }),
    ]);
    expect([a, b, c, checkIn, checkOut].map((r) => r.response.status)).toEqual([200, 200, 200, 201, 200]);
    expect(checkIn.data!.note).toBe('after the refresh');
    const calls = http.calls.slice(before);
    expect(calls.filter((x) => x === 'POST /auth/refresh')).toHaveLength(1);
    expect(calls).toHaveLength(5 + 1 + 5); // five 401s, one refresh, five retries
    expect(client.csrfToken).not.toBe(csrfBefore);

    // The new session works as usual, and the client sends the new CSRF token.
    const move = await client.POST('/attendance/check-out', { body: { studentId: studentIds[1]! } });
    expect(move.response.status).toBe(200);
  });

  it('a refresh that fails: every request that needed it resolves with its typed 401 (no exception), onSignedOut once', async () => {
    const out = await client.POST('/auth/logout');
    expect(out.response.status).toBe(204);
    expect(client.csrfToken).toBeUndefined();
    expect(client.cookies!.get('__Host-session')).toBeUndefined();
    const results = await Promise.all([client.GET('/me/context'), client.GET('/students'), client.GET('/rooms')]);
    for (const r of results) {
      expect(r.response.status).toBe(401);
      expect(r.data).toBeUndefined();
      expect(r.error!.error.code).toBe('UNAUTHENTICATED');
    }
    expect(signedOut).toEqual([{ code: 'SIGNED_OUT', status: 401 }]);
    expect(await client.refresh()).toBe(false);

    // Signing in again brings the client back.
    const again = await client.POST('/auth/exchange', { body: { accessToken: await srv.token(uniqueEmail('client')) } });
    expect(again.response.status).toBe(200);
    expect((await client.GET('/me/context')).response.status).toBe(200);
  });

  it('with autoRefresh: false (a server component forwarding cookies) a 401 is returned as it is, and nothing is refreshed', async () => {
    clock.advance(31_000);
    const plain = createDaycareClient({ baseUrl: srv.url, fetch: http.fetch, cookieJar: client.cookies, autoRefresh: false });
    const before = http.calls.length;
    const r = await plain.GET('/me/context');
    expect(r.response.status).toBe(401);
    expect(r.error!.error.code).toBe('UNAUTHENTICATED');
    expect(http.calls.slice(before)).toEqual(['GET /me/context']);
  });
});
