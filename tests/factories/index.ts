/**
 * Shared test factories: one server per test file, a new centre per test, records written straight into the database
 * (records.ts) or created over HTTP (http.ts). Each test makes its own centre, so tests sharing a database never collide.
 */
import { afterAll, beforeAll } from 'vitest';
import { newTenant, startServer, type TestServer } from '../helpers/server.js';
import { fixtures } from './records.js';

export { fixtures, type Fixtures } from './records.js';
export { allPages, auditActions, mkGuardian, mkRoom, mkStaff, mkStudent } from './http.js';

/**
 * Starts the app for this file in beforeAll and closes it in afterAll. The answer stands for the server: use it inside
 * tests and hooks (reading it before beforeAll has run throws).
 */
export function useServer(opts: Parameters<typeof startServer>[0] = {}): TestServer {
  let current: TestServer | undefined;
  beforeAll(async () => {
    current = await startServer(opts);
  });
  afterAll(async () => {
    await current?.close();
  });
  return new Proxy({} as TestServer, {
    get(_target, key) {
      if (!current) throw new Error('The test server starts in beforeAll; use it inside tests and hooks');
      return current[key as keyof TestServer];
    },
  });
}

/** A new centre: its owner signed in (agent `owner`), its tenant and membership, and database fixtures scoped to it. */
export async function newCentre(srv: TestServer, opts: { name?: string; timezone?: string } = {}) {
  const t = await newTenant(srv, opts);
  return { ...t, fx: fixtures(srv, t.tenant.id) };
}
