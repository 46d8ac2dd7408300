import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { acrossCentres, type Database } from '../../src/db/db.js';
import { membershipsRepository, tenantsRepository } from '../../src/db/tenancy.repository.js';
import { listMemberships } from '../../src/auth/session-state.js';
import { ENGINES, openTestDatabase } from '../helpers/engines.js';

/**
 * `GET /me/context` reads the user's memberships and the active centre in one round trip written as SQL
 * (`membershipsRepository.contextForUser`): it must answer exactly what the Drizzle statements it replaced answer, under
 * the same RLS scope, on both engines — and nothing without a user in the scope.
 */
describe.each(ENGINES)('the /me/context statement on %s', (engine) => {
  let db: Database;
  const user = newId();
  const other = newId();
  const email = `ctx-${user}@x.test`;
  const [t1, t2, t3, gone] = [newId(), newId(), newId(), newId()];
  const [m1, m2, m3, mGone, mOther] = [newId(), newId(), newId(), newId(), newId()];
  beforeAll(async () => {
    db = await openTestDatabase(engine);
    await db.scoped({ tenantId: null }, async (tx) => {
      await tx.execute(sql`insert into users (id, supabase_id, email) values (${user}, ${'sub-' + user}, ${email}), (${other}, ${'sub-' + other}, ${'o' + email})`);
    });
    const add = (t: string, name: string, m: string, u: string, roles: string, status: string, deleted = false) =>
      db.scoped({ tenantId: t, userId: u }, async (tx) => {
        await tx.execute(sql`insert into tenants (id, name, timezone, deleted_at) values (${t}, ${name}, 'Europe/London', ${deleted ? new Date() : null})`);
        await tx.execute(sql`insert into memberships (id, tenant_id, user_id, email, roles, entitlements, status) values (${m}, ${t}, ${u}, ${u === user ? email : 'o' + email}, ${roles}::text[], '{messaging,reports}', ${status})`);
      });
    await add(t1, `O'Brien & Co`, m1, user, '{owner}', 'active');
    await add(t2, 'Second', m2, user, '{teacher,guardian}', 'active');
    await add(t3, 'Third', mOther, other, '{admin}', 'active');
    await add(gone, 'Deleted centre', mGone, user, '{admin}', 'active', true);
    // The user's membership in a centre someone else owns: shown too.
    await db.scoped({ tenantId: t3, userId: user }, (tx) =>
      tx.execute(sql`insert into memberships (id, tenant_id, user_id, email, roles, entitlements, status) values (${m3}, ${t3}, ${user}, ${email}, '{guardian}', '{}', 'suspended')`),
    );
  });
  afterAll(() => db.close());

  it('answers what listForUser (as views) and tenantsRepository.get answer, in the same order', async () => {
    for (const tenantId of [t1, t2, t3, null]) {
      const scope = acrossCentres({ userId: user, email }, tenantId);
      const fast = await db.scoped(scope, (tx) => membershipsRepository.contextForUser(tx, user, tenantId));
      const before = await db.scoped(scope, async (tx) => ({
        memberships: (await listMemberships(tx, user)).map((m) => m.view),
        tenant: tenantId ? await tenantsRepository.get(tx, tenantId) : undefined,
      }));
      expect(fast.memberships).toEqual(before.memberships);
      expect(fast.tenant).toEqual(before.tenant ? { id: before.tenant.id, name: before.tenant.name, timezone: before.tenant.timezone } : undefined);
    }
    const { memberships, tenant } = await db.scoped(acrossCentres({ userId: user, email }, t1), (tx) => membershipsRepository.contextForUser(tx, user, t1));
    expect(memberships.map((m) => m.id).sort()).toEqual([m1, m2, m3].sort());
    expect(memberships.find((m) => m.id === m2)).toEqual({ id: m2, tenantId: t2, tenantName: 'Second', roles: ['teacher', 'guardian'], entitlements: ['messaging', 'reports'], status: 'active' });
    expect(tenant).toEqual({ id: t1, name: `O'Brien & Co`, timezone: 'Europe/London' });
  });

  it('shows nothing of a deleted centre, another user, or without the user in the scope', async () => {
    const deleted = await db.scoped(acrossCentres({ userId: user, email }, gone), (tx) => membershipsRepository.contextForUser(tx, user, gone));
    expect(deleted.tenant).toBeUndefined();
    expect(deleted.memberships.map((m) => m.id)).not.toContain(mGone);
    // Another user's scope asking for this user's rows: RLS shows none of them.
    const foreign = await db.scoped(acrossCentres({ userId: other, email: 'o' + email }, null), (tx) => membershipsRepository.contextForUser(tx, user, t1));
    expect(foreign).toEqual({ memberships: [], tenant: undefined });
    // A scope with neither user nor tenant sees nothing at all.
    const none = await db.scoped({ tenantId: null }, (tx) => membershipsRepository.contextForUser(tx, user, t1));
    expect(none).toEqual({ memberships: [], tenant: undefined });
  });
});
