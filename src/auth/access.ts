import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Actor } from '../core/context.js';

/** What visibility depends on: the centre, the caller's email and whether they are only a guardian. */
type Viewer = Pick<Actor, 'tenantId' | 'email' | 'guardianOnly'>;
import { canonicalEmail } from '../core/email.js';
import { notFound } from '../core/errors.js';
import { guardians, studentGuardians, students } from '../models/index.js';
import type { Tx } from '../db/db.js';

/**
 * The one helper for resource rules about guardians (CONTRACT §4): a member who is only a guardian sees the children
 * linked to the guardian record(s) whose email matches their membership, and those children's rooms. Everyone else
 * with the route's permission sees the whole centre. A link with `canViewRecords: false` (a pickup-only contact) shows
 * that adult nothing of the child: every route that asks here answers 404 for it. Call inside the service's tenant
 * transaction.
 */
export const access = {
  /** The guardian records that are this member (matched by email). Empty for staff. */
  async guardianIds(tx: Tx, ctx: Viewer): Promise<string[]> {
    if (!ctx.email) return [];
    const rows = await tx
      .select({ id: guardians.id })
      .from(guardians)
      .where(and(eq(guardians.tenantId, ctx.tenantId), eq(guardians.email, canonicalEmail(ctx.email)), isNull(guardians.archivedAt)));
    return rows.map((r) => r.id);
  },

  /** null = no restriction (staff); otherwise the ids of the guardian's own children. */
  async visibleStudentIds(tx: Tx, ctx: Viewer): Promise<string[] | null> {
    if (!ctx.guardianOnly) return null;
    const gids = await access.guardianIds(tx, ctx);
    if (!gids.length) return [];
    const rows = await tx
      .selectDistinct({ id: studentGuardians.studentId })
      .from(studentGuardians)
      .where(and(eq(studentGuardians.tenantId, ctx.tenantId), inArray(studentGuardians.guardianId, gids), eq(studentGuardians.canViewRecords, true)));
    return rows.map((r) => r.id);
  },

  /** null = no restriction; otherwise the rooms of the guardian's own children. */
  async visibleRoomIds(tx: Tx, ctx: Viewer): Promise<string[] | null> {
    const ids = await access.visibleStudentIds(tx, ctx);
    if (ids === null) return null;
    if (!ids.length) return [];
    const rows = await tx
      .selectDistinct({ roomId: students.roomId })
      .from(students)
      .where(and(eq(students.tenantId, ctx.tenantId), inArray(students.id, ids)));
    return rows.map((r) => r.roomId).filter((r): r is string => !!r);
  },

  /** Throws NOT_FOUND when a guardian-only member asks for a child that is not theirs. */
  async assertStudentVisible(tx: Tx, ctx: Viewer, studentId: string) {
    const ids = await access.visibleStudentIds(tx, ctx);
    if (ids !== null && !ids.includes(studentId)) throw notFound('Student');
  },

  async assertRoomVisible(tx: Tx, ctx: Viewer, roomId: string) {
    const ids = await access.visibleRoomIds(tx, ctx);
    if (ids !== null && !ids.includes(roomId)) throw notFound('Room');
  },
};
