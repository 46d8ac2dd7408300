/**
 * Issue 10, item 6: row-level security as tight as the role rules, tested directly as daycare_app on both engines.
 * A teacher's request in centre A — even with its user and email settings present, as the old code set them —
 * cannot change or delete its own membership or centre B, where the same user is also a member.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import type { Database, DbScope } from '../../src/db/db.js';
import { ENGINES, openTestDatabase } from '../helpers/engines.js';

async function user(db: Database, email: string) {
  const id = newId();
  await db.scoped({ tenantId: null }, (tx) => tx.execute(sql`insert into users (id, supabase_id, email) values (${id}, ${'sub-' + id}, ${email})`));
  return id;
}
async function centre(db: Database, name: string) {
  const id = newId();
  await db.scoped({ tenantId: id }, (tx) => tx.execute(sql`insert into tenants (id, name, timezone) values (${id}, ${name}, 'UTC')`));
  return id;
}
async function membership(db: Database, tenantId: string, userId: string | null, email: string, roles: string, status: string) {
  const id = newId();
  await db.scoped({ tenantId }, (tx) =>
    tx.execute(sql`insert into memberships (id, tenant_id, user_id, email, roles, entitlements, status) values (${id}, ${tenantId}, ${userId}, ${email}, ${roles}::text[], '{}', ${status})`),
  );
  return id;
}
const rows = async (db: Database, scope: DbScope, q: ReturnType<typeof sql>) => ((await db.scoped(scope, (tx) => tx.execute(q))) as any).rows as any[];

for (const engine of ENGINES) {
  describe(`RLS as tight as the roles, on ${engine}`, () => {
    let db: Database;
    const s = Math.random().toString(36).slice(2);
    const emails = { teacher: `teacher.${s}@x.test`, invitee: `invitee.${s}@x.test`, other: `other.${s}@x.test` };
    let teacher: string, invitee: string, a: string, b: string, inA: string, inB: string, invitation: string, otherInvitation: string;
    let asTeacherInA: DbScope;
    beforeAll(async () => {
      db = await openTestDatabase(engine);
      teacher = await user(db, emails.teacher);
      invitee = await user(db, emails.invitee);
      a = await centre(db, 'A');
      b = await centre(db, 'B');
      inA = await membership(db, a, teacher, emails.teacher, '{teacher}', 'active');
      inB = await membership(db, b, teacher, emails.teacher, '{teacher}', 'active');
      invitation = await membership(db, b, null, emails.invitee, '{guardian}', 'invited');
      otherInvitation = await membership(db, b, null, emails.other, '{guardian}', 'invited');
      // The worst case: a tenant request that also carries the user's cross-centre settings.
      asTeacherInA = { tenantId: a, userId: teacher, email: emails.teacher, crossCentre: true };
    });
    afterAll(() => db.close());

    it('a teacher scoped to A cannot make themselves owner of their membership in B', async () => {
      const r = await rows(db, asTeacherInA, sql`update memberships set roles = '{owner}' where id = ${inB} returning id`);
      expect(r).toEqual([]);
      const check = await rows(db, { tenantId: b }, sql`select roles from memberships where id = ${inB}`);
      expect(check[0].roles).toEqual(['teacher']);
    });

    it('…nor move a membership into another centre, nor insert one there, nor delete one there', async () => {
      await expect(db.scoped(asTeacherInA, (tx) => tx.execute(sql`update memberships set tenant_id = ${b} where id = ${inA}`))).rejects.toThrow();
      await expect(
        db.scoped(asTeacherInA, (tx) =>
          tx.execute(sql`insert into memberships (id, tenant_id, user_id, email, roles, entitlements, status) values (${newId()}, ${b}, ${teacher}, ${'x' + emails.teacher}, '{owner}', '{}', 'active')`),
        ),
      ).rejects.toThrow();
      expect(await rows(db, asTeacherInA, sql`delete from memberships where id = ${inB} returning id`)).toEqual([]);
    });

    it('a teacher scoped to A cannot delete or rename centre B, though they are a member there', async () => {
      expect(await rows(db, asTeacherInA, sql`delete from tenants where id = ${b} returning id`)).toEqual([]);
      expect(await rows(db, asTeacherInA, sql`update tenants set name = 'pwned' where id = ${b} returning id`)).toEqual([]);
      const check = await rows(db, { tenantId: b }, sql`select name from tenants where id = ${b}`);
      expect(check[0].name).toBe('B');
      // …while the centre's own name is still readable across centres for the sign-in lists.
      expect((await rows(db, asTeacherInA, sql`select id from tenants order by name`)).map((r) => r.id).sort()).toEqual([a, b].sort());
    });

    it('an ordinary tenant request carries no user settings: the member’s other centres are out of reach', async () => {
      const scope: DbScope = { tenantId: a, userId: teacher, email: emails.teacher };
      const set = await rows(db, scope, sql`select current_setting('app.user_id', true) as u, current_setting('app.user_email', true) as e`);
      expect(set[0]).toEqual({ u: '', e: '' });
      expect(await rows(db, scope, sql`select id from memberships where tenant_id = ${b}`)).toEqual([]);
      expect(await rows(db, scope, sql`select id from tenants where id = ${b}`)).toEqual([]);
    });

    it('accepting an invitation: only one’s own, only to oneself, only as it was offered', async () => {
      const asInvitee: DbScope = { tenantId: null, userId: invitee, email: emails.invitee };
      // Someone else's invitation is invisible and untouchable.
      expect(await rows(db, asInvitee, sql`update memberships set user_id = ${invitee}, status = 'active' where id = ${otherInvitation} returning id`)).toEqual([]);
      // Raising the roles while accepting is refused.
      await expect(
        db.scoped(asInvitee, (tx) => tx.execute(sql`update memberships set user_id = ${invitee}, status = 'active', roles = '{owner}' where id = ${invitation}`)),
      ).rejects.toThrow();
      // Handing it to another user is refused.
      await expect(db.scoped(asInvitee, (tx) => tx.execute(sql`update memberships set user_id = ${teacher}, status = 'active' where id = ${invitation}`))).rejects.toThrow();
      // As offered: accepted.
      const ok = await rows(db, asInvitee, sql`update memberships set user_id = ${invitee}, status = 'active' where id = ${invitation} returning id, roles`);
      expect(ok).toEqual([{ id: invitation, roles: ['guardian'] }]);
      // Once accepted, the member cannot change it from outside the centre.
      expect(await rows(db, asInvitee, sql`update memberships set roles = '{owner}' where id = ${invitation} returning id`)).toEqual([]);
    });

    it('declining: only one’s own pending invitation', async () => {
      const asOther: DbScope = { tenantId: null, userId: invitee, email: emails.invitee };
      expect(await rows(db, asOther, sql`delete from memberships where id = ${otherInvitation} returning id`)).toEqual([]);
      expect(await rows(db, asOther, sql`delete from memberships where id = ${inB} returning id`)).toEqual([]);
    });
  });
}
