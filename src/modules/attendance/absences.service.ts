import type { TenantContext } from '../../core/context.js';
import { conflict, forbidden, notFound, unprocessable } from '../../core/errors.js';
import { isUuid, newId } from '../../core/ids.js';
import type { AbsenceReason } from '../../models/enums.js';
import { absencesRepository as repo } from './absences.repository.js';
import { forTenant, pgConstraint } from '../../db/db.js';
import { absenceDto, type AbsenceDto } from './absences.dto.js';
import { centreDate, visibleStudent, visibleStudentId, visibleStudentIds } from '../../kernel/day.js';
import type { ServiceDeps } from '../../kernel/deps.js';
import { checkRange, MAX_REPORT_DAYS } from '../../kernel/helpers.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { changeVersioned } from '../../kernel/versioned-change.js';
import { createRecorded } from '../../kernel/recorded-create.js';

export interface AbsenceInput {
  studentId: string;
  date: string;
  reason: AbsenceReason;
  note?: string | null;
}

const ONE_PER_DAY = 'absences_one_per_student_day';
const alreadyAbsent = () => conflict('The child is already marked absent that day');

/**
 * Absences: one per child per local day, never on a day with attendance. Staff record any day; a guardian reports for
 * their own children, today or later in the centre's time zone, and may withdraw only what they reported.
 */
export function createAbsencesService({ db, clock }: Pick<ServiceDeps, 'db' | 'clock'>) {

  return {
    async create(ctx: TenantContext, input: AbsenceInput): Promise<AbsenceDto> {
      if (!isUuid(input.studentId)) throw notFound('Student');
      try {
        return await db.scoped(forTenant(ctx), async (tx) => {
          const studentId = (await visibleStudent(tx, ctx, input.studentId)).id;
          if (ctx.guardianOnly) {
            const today = await centreDate(tx, ctx.tenantId, clock.now());
            if (input.date < today) throw unprocessable('A guardian reports absences for today or later', [{ path: 'date', message: `must be ${today} or later` }]);
          }
          if (await repo.hasAttendanceOn(tx, ctx.tenantId, studentId, input.date)) throw conflict('The child has attendance that day');
          if (await repo.forDay(tx, ctx.tenantId, studentId, input.date)) throw alreadyAbsent();
          const now = clock.now();
          return createRecorded(tx, ctx, {
            action: 'absence.reported',
            targetType: 'absence',
            insert: () =>
              repo.insert(tx, {
                id: newId(),
                tenantId: ctx.tenantId,
                studentId,
                date: input.date,
                reason: input.reason,
                note: input.note ?? null,
                reportedByMembershipId: ctx.membershipId,
                createdAt: now,
                updatedAt: now,
              }),
            dto: absenceDto,
          });
        });
      } catch (e) {
        if (pgConstraint(e) === ONE_PER_DAY) throw alreadyAbsent();
        throw e;
      }
    },

    async list(ctx: TenantContext, q: { from?: string; to?: string; studentId?: string; roomId?: string; limit: number; cursor?: string }) {
      if (q.from && q.to) checkRange(q.from, q.to, MAX_REPORT_DAYS);
      const cursor = decodeUuidCursor(q.cursor);
      const rows = await db.scoped(forTenant(ctx), async (tx) => {
        const studentIds = await visibleStudentIds(tx, ctx);
        return repo.list(tx, ctx.tenantId, { ...q, studentId: q.studentId?.toLowerCase(), roomId: q.roomId?.toLowerCase(), cursor, studentIds });
      });
      return toPage(rows, q.limit, absenceDto, (r) => r.id);
    },

    /** Staff remove any absence; a guardian only one they reported (another's → 403, not their child's → 404). */
    async remove(ctx: TenantContext, id: string, ifMatch?: number): Promise<void> {
      if (!isUuid(id)) throw notFound('Absence');
      await db.scoped(forTenant(ctx), async (tx) => {
        await changeVersioned(tx, ctx, {
          what: 'Absence',
          target: { type: 'absence', id },
          ifMatch,
          lock: () => repo.get(tx, ctx.tenantId, id, true),
          async visible(b) {
            try {
              await visibleStudentId(tx, ctx, b.studentId);
            } catch {
              throw notFound('Absence');
            }
          },
          async write(before) {
            if (ctx.guardianOnly && before.reportedByMembershipId !== ctx.membershipId) throw forbidden('A guardian may withdraw only the absences they reported');
            return repo.delete(tx, ctx.tenantId, before.id, before.version);
          },
          audit: (b) => ({ action: 'absence.removed', before: absenceDto(b) }),
        });
      });
    },
  };
}
export type AbsencesService = ReturnType<typeof createAbsencesService>;
