/**
 * Centre fixtures written straight into the database (under the tenant's RLS scope), so attendance and message tests
 * do not depend on the centre CRUD routes.
 */
import { and, eq } from 'drizzle-orm';
import { newId } from '../../src/core/ids.js';
import type { Tx } from '../../src/db/db.js';
import { guardians, rooms, shifts, staff, staffRooms, studentGuardians, students } from '../../src/models/index.js';
import type { TestServer } from '../helpers/server.js';

type AgeGroup = 'infant' | 'toddler' | 'preschool' | 'school_age';

export function fixtures(srv: TestServer, tenantId: string) {
  const run = <T>(fn: (tx: Tx) => Promise<T>) => srv.container.db.scoped({ tenantId }, fn);
  let n = 0;
  return {
    async room(o: { name?: string; capacity?: number; ageGroup?: AgeGroup | null; ratio?: number | null } = {}) {
      const [r] = await run((tx) =>
        tx
          .insert(rooms)
          .values({ id: newId(), tenantId, name: o.name ?? `Room ${++n}`, capacity: o.capacity ?? 20, ageGroup: o.ageGroup ?? null, ratio: o.ratio ?? null })
          .returning(),
      );
      return r!;
    },
    async student(o: { roomId?: string | null; firstName?: string; lastName?: string; status?: 'enrolled' | 'withdrawn'; archived?: boolean } = {}) {
      const [s] = await run((tx) =>
        tx
          .insert(students)
          .values({
            id: newId(),
            tenantId,
            firstName: o.firstName ?? `Child${++n}`,
            lastName: o.lastName ?? 'Test',
            dateOfBirth: '2022-05-01',
            roomId: o.roomId ?? null,
            status: o.status ?? 'enrolled',
            archivedAt: o.archived ? new Date() : null,
          })
          .returning(),
      );
      return s!;
    },
    async guardian(o: { email?: string; firstName?: string } = {}) {
      const [g] = await run((tx) =>
        tx
          .insert(guardians)
          .values({ id: newId(), tenantId, firstName: o.firstName ?? `Parent${++n}`, lastName: 'Test', email: o.email?.toLowerCase() ?? null })
          .returning(),
      );
      return g!;
    },
    async link(studentId: string, guardianId: string, o: { authorizedPickup?: boolean; relationship?: string } = {}) {
      await run((tx) =>
        tx.insert(studentGuardians).values({ tenantId, studentId, guardianId, relationship: o.relationship ?? 'parent', authorizedPickup: o.authorizedPickup ?? false }),
      );
    },
    /** A staff member assigned to `roomIds`; `onDuty` clocks them in to that room (an open shift since `since`). */
    async staff(roomIds: string[], o: { archived?: boolean; email?: string; onDuty?: string; since?: Date } = {}) {
      const id = newId();
      await run(async (tx) => {
        await tx.insert(staff).values({ id, tenantId, firstName: `Staff${++n}`, lastName: 'Test', email: o.email?.toLowerCase() ?? null, archivedAt: o.archived ? new Date() : null });
        for (const roomId of roomIds) await tx.insert(staffRooms).values({ tenantId, staffId: id, roomId });
        if (o.onDuty) {
          const at = o.since ?? new Date(Date.now() - 3_600_000);
          await tx.insert(shifts).values({ id: newId(), tenantId, staffId: id, roomId: o.onDuty, date: at.toISOString().slice(0, 10), clockInAt: at });
        }
      });
      return { id };
    },
    async moveStudent(studentId: string, roomId: string | null) {
      await run((tx) => tx.update(students).set({ roomId }).where(and(eq(students.tenantId, tenantId), eq(students.id, studentId))));
    },
  };
}
export type Fixtures = ReturnType<typeof fixtures>;
