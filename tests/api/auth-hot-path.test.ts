import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, newTenant, startServer, type TestServer } from '../helpers/server.js';

/** Counts calls on the cache and the database under a running server. */
function instrument(srv: TestServer) {
  const counts = { cache: {} as Record<string, number>, scoped: 0 };
  const cache = srv.container.cache as any;
  for (const m of ['get', 'set', 'setIfAbsent', 'incr', 'del', 'readAndCount'] as const) {
    const orig = cache[m].bind(cache);
    cache[m] = (...args: any[]) => {
      counts.cache[m] = (counts.cache[m] ?? 0) + 1;
      return orig(...args);
    };
  }
  // Background work (the outbox drain and the email sender, kicked by commits and a poll) is not the request's: it is
  // switched off here, and system-wide work (the drains' claims) is not counted.
  (srv.container.workers as any).kick = () => undefined;
  const db = srv.container.db as any;
  const scoped = db.scoped.bind(db);
  db.scoped = (...args: any[]) => {
    if (!args[0]?.system) counts.scoped++;
    return (scoped as any)(...args);
  };
  return {
    reset() {
      counts.cache = {};
      counts.scoped = 0;
    },
    counts,
  };
}

describe('the warm authentication path', () => {
  let srv: TestServer;
  let probe: ReturnType<typeof instrument>;
  beforeAll(async () => {
    srv = await startServer();
    probe = instrument(srv);
  });
  afterAll(() => srv.close());

  it('costs one cache round trip (a pipeline) and no database query', async () => {
    const { owner } = await newTenant(srv);
    await owner.get('/tenant'); // warm
    probe.reset();
    const r = await owner.get('/tenant');
    expect(r.status).toBe(200);
    // The route's own service reads the tenant and its settings sections (billing included) in one transaction;
    // authentication added nothing else.
    expect(Object.keys(r.body)).toEqual(expect.arrayContaining(['waitlist', 'notifications', 'billing']));
    expect(probe.counts.scoped).toBe(1);
    expect(probe.counts.cache).toEqual({ readAndCount: 1 });
  });

  it('after a role change the stale token costs a database read once, then the permission set comes from the cache', async () => {
    const { owner } = await newTenant(srv);
    const member = await addMember(srv, owner, ['admin']);
    await owner.patch(`/memberships/${member.membershipId}`, { roles: ['teacher'] });
    probe.reset();
    expect((await member.agent.get('/tenant')).status).toBe(200);
    expect(probe.counts.scoped).toBe(2); // the membership, then the route's own read
    probe.reset();
    expect((await member.agent.get('/tenant')).status).toBe(200);
    expect(probe.counts.scoped).toBe(1);
    expect(probe.counts.cache.readAndCount).toBe(1);
    expect(probe.counts.cache.get).toBe(1); // the permission set for (membership, EV)
  });
});
