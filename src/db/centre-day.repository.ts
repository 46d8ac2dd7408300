import { and, eq } from 'drizzle-orm';
import { rooms, students, tenants } from '../models/index.js';
import type { Tx } from './db.js';

/**
 * The reads behind the centre's day (kernel/day.ts): the centre's time zone, and the child or room a day's service
 * acts on. Drizzle builds them, so the rows are typed by the schema, not by a cast.
 */
export const centreDayRepository = {
  async timezone(tx: Tx, tenantId: string): Promise<string | undefined> {
    const [row] = await tx.select({ timezone: tenants.timezone }).from(tenants).where(eq(tenants.id, tenantId));
    return row?.timezone ?? undefined;
  },
  async student(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx
      .select({ id: students.id, firstName: students.firstName, roomId: students.roomId, status: students.status, archivedAt: students.archivedAt })
      .from(students)
      .where(and(eq(students.tenantId, tenantId), eq(students.id, id)));
    return row;
  },
  async room(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select({ id: rooms.id, archivedAt: rooms.archivedAt }).from(rooms).where(and(eq(rooms.tenantId, tenantId), eq(rooms.id, id)));
    return row;
  },
};
