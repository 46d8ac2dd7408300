import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import type { Database } from '../../src/db/db.js';
import { attendanceRepository } from '../../src/modules/attendance/attendance.repository.js';
import { checkInRepository } from '../../src/modules/attendance/check-in-out.repository.js';
import { kiosksRepository } from '../../src/modules/kiosk/kiosks.repository.js';
import { ENGINES, openTestDatabase } from '../helpers/engines.js';

/**
 * The kiosk's and the check-in's statements written as SQL (issue 28), on both engines: the PIN with its attempt and
 * the adult's children in one statement (`kiosksRepository.signIn`), the check-in's reads with the room's lock, its
 * checks with the insert, and the check-out's reads with the open stay's lock. Rows through the checked mappers must
 * equal the Drizzle/driver rows they stand for, and RLS shows another centre nothing.
 */
describe.each(ENGINES)('the door statements on %s', (engine) => {
  let db: Database;
  const [t1, t2, room, kid, kid2, g, g2, kiosk] = Array.from({ length: 8 }, () => newId());
  const scope = (tenantId: string) => ({ tenantId });
  beforeAll(async () => {
    db = await openTestDatabase(engine);
    for (const t of [t1, t2]) await db.scoped(scope(t), (tx) => tx.execute(sql`insert into tenants (id, name, timezone) values (${t}, 'Door', 'Pacific/Auckland')`));
    await db.scoped(scope(t1), async (tx) => {
      await tx.execute(sql`insert into rooms (id, tenant_id, name, capacity) values (${room}, ${t1}, 'Room', 1)`);
      await tx.execute(sql`insert into students (id, tenant_id, first_name, last_name, date_of_birth, room_id) values
        (${kid}, ${t1}, 'Zed', 'Family', '2021-01-01', ${room}), (${kid2}, ${t1}, 'Ada', 'Family', '2021-01-01', ${room})`);
      await tx.execute(sql`insert into guardians (id, tenant_id, first_name, last_name, pin_hash) values (${g}, ${t1}, 'Alex', 'Family', 'hash-1')`);
      await tx.execute(sql`insert into student_guardians (tenant_id, student_id, guardian_id, relationship, authorized_pickup) values
        (${t1}, ${kid}, ${g}, 'parent', true), (${t1}, ${kid2}, ${g}, 'parent', false)`);
      await tx.execute(sql`insert into kiosks (id, tenant_id, name, token_hash) values (${kiosk}, ${t1}, 'Door', 'x')`);
    });
    // Another centre's adult with the same PIN hash: never seen from the first centre.
    await db.scoped(scope(t2), (tx) => tx.execute(sql`insert into guardians (id, tenant_id, first_name, last_name, pin_hash) values (${g2}, ${t2}, 'Other', 'Centre', 'hash-1')`));
  });
  afterAll(() => db.close());

  const kioskRow = () => db.scoped(scope(t1), (tx) => kiosksRepository.getLive(tx, t1, kiosk));
  const signIn = (hash: string | null, now = new Date()) => db.scoped(scope(t1), (tx) => kiosksRepository.signIn(tx, t1, kiosk, hash, now, 5, 300));

  it('a right PIN: the adult and their children (ordered), its attempt given back in the same statement', async () => {
    const s = await signIn('hash-1');
    expect(s).toEqual({
      refused: false,
      n: 1,
      guardian: {
        id: g,
        firstName: 'Alex',
        children: [
          { id: kid2, firstName: 'Ada', lastName: 'Family', authorizedPickup: false, checkedIn: false },
          { id: kid, firstName: 'Zed', lastName: 'Family', authorizedPickup: true, checkedIn: false },
        ],
      },
    });
    const row = (await kioskRow())!;
    expect(row.pinFailures).toBe(0);
    expect(row.pinWindowEndsAt).not.toBeNull();
  });

  it('wrong PINs count in the window up to the limit, then the kiosk refuses (no row); another centre sees no kiosk', async () => {
    const now = new Date(Date.now() + 3_600_000); // a fresh window
    const ns: unknown[] = [];
    for (let i = 0; i < 5; i++) ns.push(await signIn(i % 2 ? null : 'wrong', now));
    expect(ns).toEqual([1, 2, 3, 4, 5].map((n) => ({ refused: false, n, guardian: undefined })));
    expect(await signIn('hash-1', now)).toEqual({ refused: true });
    expect((await kioskRow())!.pinFailures).toBe(5);
    expect(await db.scoped(scope(t2), (tx) => kiosksRepository.signIn(tx, t1, kiosk, 'hash-1', new Date(Date.now() + 7_200_000), 5, 300))).toEqual({ refused: true });
  });

  it('check-in: the facts with the room locked, then the checks and the insert; the row is what the driver reads', async () => {
    const facts = await db.scoped(scope(t1), (tx) => checkInRepository.facts(tx, t1, kid, g));
    expect(facts).toMatchObject({ student: { id: kid, roomId: room, status: 'enrolled', archivedAt: null, firstName: 'Zed' }, timezone: 'Pacific/Auckland', linked: true, viewers: [g], room: { id: room, capacity: 1 } });
    expect(Math.abs(facts.now.getTime() - Date.now())).toBeLessThan(60_000);
    expect((await db.scoped(scope(t2), (tx) => checkInRepository.facts(tx, t2, kid, null))).student).toBeUndefined();

    const values = (studentId: string) => ({ id: newId(), tenantId: t1, studentId, room: { id: room, capacity: 1 }, date: '2026-12-08', checkInAt: new Date(Date.now() - 1000), checkedInByMembershipId: null, droppedOffByGuardianId: g, method: 'kiosk', note: 'hi', now: new Date() });
    const out = await db.scoped(scope(t1), (tx) => checkInRepository.checkAndInsert(tx, values(kid)));
    expect(out).toMatchObject({ open: false, inRoom: 0, lastOut: null, removedAbsence: undefined });
    const stored = await db.scoped(scope(t1), (tx) => attendanceRepository.findOpen(tx, t1, kid));
    expect(out.row).toEqual(stored);
    // Again: the child is in (no insert); another child: the room of one place is full (no insert).
    const again = await db.scoped(scope(t1), (tx) => checkInRepository.checkAndInsert(tx, values(kid)));
    expect(again).toMatchObject({ open: true, inRoom: 1, row: undefined });
    const full = await db.scoped(scope(t1), (tx) => checkInRepository.checkAndInsert(tx, values(kid2)));
    expect(full).toMatchObject({ open: false, inRoom: 1, row: undefined });

    const co = await db.scoped(scope(t1), (tx) => checkInRepository.checkOutFacts(tx, t1, kid, g));
    expect(co).toMatchObject({ student: { id: kid, firstName: 'Zed' }, authorizedPickup: true, viewers: [g] });
    expect(co.open).toEqual(stored);
    expect((await db.scoped(scope(t1), (tx) => checkInRepository.checkOutFacts(tx, t1, kid2, g))).open).toBeUndefined();
    expect(await db.scoped(scope(t2), (tx) => checkInRepository.checkOutFacts(tx, t2, kid, null))).toMatchObject({ student: undefined, open: undefined });
  });
});
