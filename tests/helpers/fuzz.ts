/**
 * Nothing a client sends may produce a 500: random JSON bodies and query strings against every route of the route
 * table, as the owner (the role that passes every permission check, so the input reaches the services). One body, run
 * by `npm test` with a few runs per route (tests/api/fuzz.test.ts) and by the fault suite with many
 * (tests/faults/fuzz-soak.test.ts), as the session races are.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTable } from '../../src/api/app.js';
import { newTenant, startServer, type TestServer } from './server.js';

const routes = routeTable().filter((r) => r.path !== '/tenants');

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const idLike = fc.oneof(fc.uuid(), fc.constantFrom('', '0', 'null', '../../etc', '%00', "' or 1=1 --", 'x'.repeat(300)));
const body = fc.oneof(
  jsonValue,
  fc.dictionary(fc.constantFrom('name', 'capacity', 'studentId', 'roomId', 'firstName', 'lastName', 'dateOfBirth', 'audience', 'body', 'purpose', 'contentType', 'size', 'fileName', 'from', 'to', 'type', 'fileId', 'roles', 'email', 'status', 'at', 'reason', 'relationship', 'authorizedPickup', 'roomIds', 'pin', 'studentIds', 'emergencyContact', 'canViewRecords', 'child', 'guardian', 'desiredStartDate', 'siblingStudentId', 'staffChild', 'notes', 'startDate', 'expiresAt', 'outOfOrderReason', 'planId', 'token', 'decision', 'returnToWaitlist', 'waitlist'), fc.oneof(jsonValue, idLike)),
);

export function fuzzEveryRoute(numRuns: number, timeoutMs: number) {
  describe(`fuzz: random input never yields a 5xx (${numRuns} runs per route)`, () => {
    let srv: TestServer;
    let owner: Awaited<ReturnType<typeof newTenant>>['owner'];
    /** The kiosk routes are reached with a kiosk token (no cookies), so the input gets past authentication too. */
    let kioskAuth: Record<string, string>;
    /** The public form route with a form token, likewise (the offer routes carry their token in the body). */
    let formAuth: Record<string, string>;
    beforeAll(async () => {
      srv = await startServer();
      ({ owner } = await newTenant(srv));
      kioskAuth = { authorization: `Bearer ${(await owner.post('/kiosks', { name: 'Fuzz' })).body.token}` };
      formAuth = { authorization: `Bearer ${(await owner.post('/application-forms', { name: 'Fuzz' })).body.token}` };
    });
    afterAll(() => srv?.close());

    it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', async (_k, r) => {
      await fc.assert(
        fc.asyncProperty(idLike, idLike, body, fc.webQueryParameters(), async (id, gid, b, q) => {
          const path = r.path.replace('{id}', encodeURIComponent(id)).replace('{guardianId}', encodeURIComponent(gid));
          const own = r.permission === 'kiosk' || r.permission === 'public-form' || r.permission === 'public-offer';
          const who = own ? srv.agent() : owner;
          const headers = r.permission === 'kiosk' ? kioskAuth : r.permission === 'public-form' ? formAuth : {};
          const res = await who.request(r.method, `${path}?${q}`, r.method === 'GET' || r.method === 'DELETE' ? { headers } : { body: b, headers });
          expect(res.status, `${r.method} ${path}?${q} ${JSON.stringify(b)} → ${res.text}`).toBeLessThan(500);
          if (res.status >= 400) expect(res.body.error.code).toMatch(/^[A-Z_]+$/);
        }),
        { numRuns },
      );
    }, timeoutMs);
  });
}
