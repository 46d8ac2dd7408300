import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import type { Database } from '../../src/db/db.js';
import { ENGINES, openTestDatabase } from '../helpers/engines.js';

const TENANT_TABLES = [
  'memberships', 'rooms', 'students', 'guardians', 'student_guardians', 'staff', 'staff_rooms', 'attendance',
  'attendance_rollups', 'task_runs', 'messages', 'message_reads', 'files', 'jobs', 'audit_logs', 'idempotency_keys',
];

async function seedTenant(db: Database, name: string) {
  const t = newId();
  const ids = { tenant: t, room: newId(), student: newId(), guardian: newId(), staff: newId(), member: newId(), message: newId(), file: newId(), job: newId(), user: newId() };
  await db.scoped({ tenantId: null }, (tx) => tx.execute(sql`insert into users (id, supabase_id, email) values (${ids.user}, ${'sub-' + ids.user}, ${name + '@x.test'})`));
  await db.scoped({ tenantId: t, userId: ids.user }, async (tx) => {
    await tx.execute(sql`insert into tenants (id, name, timezone) values (${t}, ${name}, 'UTC')`);
    await tx.execute(sql`insert into memberships (id, tenant_id, user_id, email, roles, entitlements, status) values (${ids.member}, ${t}, ${ids.user}, ${name + '@x.test'}, '{owner}', '{}', 'active')`);
    await tx.execute(sql`insert into rooms (id, tenant_id, name, capacity) values (${ids.room}, ${t}, 'Room', 10)`);
    await tx.execute(sql`insert into students (id, tenant_id, first_name, last_name, date_of_birth, room_id) values (${ids.student}, ${t}, 'A', 'B', '2021-01-01', ${ids.room})`);
    await tx.execute(sql`insert into guardians (id, tenant_id, first_name, last_name) values (${ids.guardian}, ${t}, 'G', 'H')`);
    await tx.execute(sql`insert into student_guardians (tenant_id, student_id, guardian_id, relationship) values (${t}, ${ids.student}, ${ids.guardian}, 'parent')`);
    await tx.execute(sql`insert into staff (id, tenant_id, first_name, last_name) values (${ids.staff}, ${t}, 'S', 'T')`);
    await tx.execute(sql`insert into staff_rooms (tenant_id, staff_id, room_id) values (${t}, ${ids.staff}, ${ids.room})`);
    await tx.execute(sql`insert into attendance (tenant_id, student_id, room_id, date, check_in_at) values (${t}, ${ids.student}, ${ids.room}, '2025-01-01', now())`);
    await tx.execute(sql`insert into attendance_rollups (tenant_id, room_id, date, children_present, total_minutes, peak_count, ratio_breaches) values (${t}, ${ids.room}, '2025-01-01', 1, 60, 1, 0)`);
    await tx.execute(sql`insert into task_runs (tenant_id, task, day) values (${t}, 'rollup', '2025-01-01')`);
    await tx.execute(sql`insert into messages (id, tenant_id, author_membership_id, audience_type, body) values (${ids.message}, ${t}, ${ids.member}, 'tenant', 'hi')`);
    await tx.execute(sql`insert into message_reads (tenant_id, message_id, membership_id) values (${t}, ${ids.message}, ${ids.member})`);
    await tx.execute(sql`insert into files (id, tenant_id, purpose, file_name, content_type, size, storage_key) values (${ids.file}, ${t}, 'document', 'a.pdf', 'application/pdf', 10, ${'tenants/' + t + '/x'})`);
    await tx.execute(sql`insert into jobs (id, tenant_id, type, payload) values (${ids.job}, ${t}, 'report', '{}')`);
    await tx.execute(sql`insert into audit_logs (tenant_id, action) values (${t}, 'test')`);
    await tx.execute(sql`insert into idempotency_keys (tenant_id, user_id, key, method, path, fingerprint, expires_at) values (${t}, ${ids.user}, 'k', 'POST', '/x', 'f', now() + interval '1 day')`);
  });
  return ids;
}

const count = async (db: Database, scope: { tenantId: string | null }, table: string) => {
  const r: any = await db.scoped(scope, (tx) => tx.execute(sql.raw(`select count(*)::int as n, count(distinct tenant_id)::int as t from ${table}`)));
  return r.rows[0] as { n: number; t: number };
};

for (const engine of ENGINES) {
  describe(`tenant isolation on ${engine}`, () => {
    let db: Database;
    let a: Awaited<ReturnType<typeof seedTenant>>;
    let b: Awaited<ReturnType<typeof seedTenant>>;
    beforeAll(async () => {
      db = await openTestDatabase(engine);
      a = await seedTenant(db, 'alpha');
      b = await seedTenant(db, 'beta');
    });
    afterAll(() => db.close());

    it('tenant work runs as the restricted role, which cannot bypass RLS', async () => {
      const r: any = await db.scoped({ tenantId: a.tenant }, (tx) =>
        tx.execute(sql`select current_user as u, r.rolsuper, r.rolbypassrls from pg_roles r where r.rolname = current_user`),
      );
      expect(r.rows[0]).toMatchObject({ u: 'daycare_app', rolsuper: false, rolbypassrls: false });
    });

    it.each(TENANT_TABLES)('%s: a tenant sees only its own rows', async (table) => {
      const ra = await count(db, { tenantId: a.tenant }, table);
      expect(ra.n).toBeGreaterThanOrEqual(1);
      expect(ra.t).toBe(1);
      const r: any = await db.scoped({ tenantId: a.tenant }, (tx) => tx.execute(sql.raw(`select count(*)::int as n from ${table} where tenant_id = '${b.tenant}'`)));
      expect(r.rows[0].n).toBe(0);
    });

    it.each(TENANT_TABLES)('%s: without tenant context a query sees zero rows', async (table) => {
      expect((await count(db, { tenantId: null }, table)).n).toBe(0);
    });

    it('tenants: without context zero rows; with context only its own', async () => {
      const none: any = await db.scoped({ tenantId: null }, (tx) => tx.execute(sql`select count(*)::int as n from tenants`));
      expect(none.rows[0].n).toBe(0);
      const own: any = await db.scoped({ tenantId: a.tenant }, (tx) => tx.execute(sql`select id from tenants`));
      expect(own.rows.map((x: any) => x.id)).toEqual([a.tenant]);
    });

    it('cannot write a row into another tenant (WITH CHECK)', async () => {
      await expect(
        db.scoped({ tenantId: a.tenant }, (tx) => tx.execute(sql`insert into rooms (tenant_id, name, capacity) values (${b.tenant}, 'x', 1)`)),
      ).rejects.toThrow();
    });

    it('cannot move a row into another tenant by update', async () => {
      await expect(
        db.scoped({ tenantId: a.tenant }, (tx) => tx.execute(sql`update rooms set tenant_id = ${b.tenant} where id = ${a.room}`)),
      ).rejects.toThrow();
    });

    it('composite foreign keys stop a row pointing into another tenant', async () => {
      await expect(
        db.scoped({ tenantId: a.tenant }, (tx) =>
          tx.execute(sql`insert into students (tenant_id, first_name, last_name, date_of_birth, room_id) values (${a.tenant}, 'X', 'Y', '2020-01-01', ${b.room})`),
        ),
      ).rejects.toThrow();
    });

    it('audit_logs is append-only for the app role', async () => {
      await expect(db.scoped({ tenantId: a.tenant }, (tx) => tx.execute(sql`update audit_logs set action = 'tampered'`))).rejects.toThrow();
      await expect(db.scoped({ tenantId: a.tenant }, (tx) => tx.execute(sql`delete from audit_logs`))).rejects.toThrow();
      const r: any = await db.scoped({ tenantId: a.tenant }, (tx) => tx.execute(sql`select count(*)::int as n from audit_logs where action = 'test'`));
      expect(r.rows[0].n).toBe(1);
    });

    it('audit_logs rejects updates even from the table owner (trigger)', async () => {
      for (const stmt of [sql`update audit_logs set action = 'tampered'`, sql`delete from audit_logs`]) {
        const err: any = await db.raw.execute(stmt).then(() => null, (e) => e);
        expect(String(err?.cause?.message ?? err?.message)).toMatch(/append-only/);
      }
    });

    it('every tenant table has forced row-level security', async () => {
      const r: any = await db.raw.execute(
        sql`select relname, relrowsecurity, relforcerowsecurity from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' and relname in (${sql.join([...TENANT_TABLES, 'tenants'].map((t) => sql`${t}`), sql`, `)})`,
      );
      expect(r.rows).toHaveLength(TENANT_TABLES.length + 1);
      for (const row of r.rows) expect(row, row.relname).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
    });

    it('a tenant-owned table without RLS cannot slip in: every table with tenant_id is covered', async () => {
      const r: any = await db.raw.execute(
        sql`select c.relname from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and not c.relforcerowsecurity`,
      );
      expect(r.rows.map((x: any) => x.relname)).toEqual([]);
    });
  });
}
