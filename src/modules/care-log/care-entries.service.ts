import { ZodError } from 'zod';
import { forTenant } from '../../db/db.js';
import { CARE_DETAILS } from '../../core/care-details.js';
import type { TenantContext } from '../../core/context.js';
import { notFound, unprocessable, validationError } from '../../core/errors.js';
import { isUuid, newId } from '../../core/ids.js';
import type { CareEntryType } from '../../models/enums.js';
import { auditActor, auditRepository } from '../../db/audit.repository.js';
import { careEntriesRepository as repo, type CareEntryRow } from './care-entries.repository.js';
import type { Tx } from '../../db/db.js';
import { centreDate, clientInstant, visibleRoom, visibleStudent, visibleStudentId } from '../../kernel/day.js';
import type { AttendanceReads } from '../attendance/index.js';
import type { ServiceDeps } from '../../kernel/deps.js';
import { changeVersioned, UNCHANGED } from '../../kernel/versioned-change.js';
import { careEntryDto, summarize, type CareEntryDto, type CareEntryInput, type CareEntryPatchInput, type RoomCareEntryInput } from './care-entries.dto.js';
import { createRecorded } from '../../kernel/recorded-create.js';

/** The care log (typed entries, room batches) and the parent's daily report. */
export function createCareEntriesService({
  db,
  clock,
  attendance,
}: Pick<ServiceDeps, 'db' | 'clock'> & { /** Attendance's (the container's wiring): the daily report's stays and absence. */ attendance: Pick<AttendanceReads, 'stayDto' | 'absenceDto'> }) {
  function times(at: Date, endAt: Date | null) {
    if (endAt && endAt < at) throw unprocessable('The end is before the start', [{ path: 'endAt', message: 'must not be before at' }]);
  }
  function details(type: CareEntryType, value: Record<string, unknown> | undefined) {
    try {
      return CARE_DETAILS[type].parse(value ?? {}) as Record<string, unknown>;
    } catch (e) {
      if (e instanceof ZodError)
        throw validationError(`The details do not fit a ${type} entry`, e.issues.map((i) => ({ path: ['details', ...i.path.map(String)].join('.'), message: i.message })));
      throw e;
    }
  }
  /** A guardian sees an entry only for their own child and only when it is visible to guardians. */
  async function assertVisible(tx: Tx, ctx: TenantContext, e: CareEntryRow) {
    try {
      await visibleStudentId(tx, ctx, e.studentId);
    } catch {
      throw notFound('Care entry');
    }
    if (ctx.guardianOnly && !e.visibleToGuardians) throw notFound('Care entry');
  }
  async function day(tx: Tx, ctx: TenantContext, date: string | undefined) {
    return date ?? (await centreDate(tx, ctx.tenantId, clock.now()));
  }

  return {
    async create(ctx: TenantContext, studentId: string, input: CareEntryInput): Promise<CareEntryDto> {
      const now = clock.now();
      const at = clientInstant(input.at, 'at', now);
      const endAt = input.endAt ? clientInstant(input.endAt, 'endAt', now) : null;
      times(at, endAt);
      const d = details(input.type, input.details);
      return db.scoped(forTenant(ctx), async (tx) => {
        const sid = (await visibleStudent(tx, ctx, studentId)).id;
        const date = await centreDate(tx, ctx.tenantId, at);
        return createRecorded(tx, ctx, {
          action: 'care_entry.created',
          targetType: 'care_entry',
          insert: async () => {
            const [row] = await repo.insertMany(tx, [
              {
                id: newId(),
                tenantId: ctx.tenantId,
                studentId: sid,
                type: input.type,
                at,
                endAt,
                date,
                details: d,
                note: input.note ?? null,
                visibleToGuardians: input.visibleToGuardians ?? true,
                recordedByMembershipId: ctx.membershipId,
                createdAt: now,
                updatedAt: now,
              },
            ]);
            return row!;
          },
          dto: careEntryDto,
        });
      });
    },

    /**
     * One entry per child named, or per child present in the room now: all rows in one INSERT, in one transaction,
     * with one audit row naming the batch and its entry ids. Nobody present and nobody named → 422.
     */
    async createForRoom(ctx: TenantContext, roomId: string, input: RoomCareEntryInput): Promise<{ items: CareEntryDto[] }> {
      if (!isUuid(roomId)) throw notFound('Room');
      const now = clock.now();
      const at = clientInstant(input.at, 'at', now);
      const d = details(input.type, input.details);
      return db.scoped(forTenant(ctx), async (tx) => {
        const room = await visibleRoom(tx, ctx, roomId);
        let ids: string[];
        if (input.studentIds) {
          ids = [...new Set(input.studentIds.map((s) => s.toLowerCase()))];
          const found = new Set(await repo.existingStudentIds(tx, ctx.tenantId, ids));
          const missing = ids.filter((i) => !found.has(i));
          if (missing.length) throw notFound('Student');
        } else {
          ids = await repo.presentIds(tx, ctx.tenantId, room.id);
          if (!ids.length) throw unprocessable('No children are present in the room', [{ path: 'studentIds', message: 'name the children, or check them in first' }]);
        }
        const date = await centreDate(tx, ctx.tenantId, at);
        const batchId = newId();
        const rows = await repo.insertMany(
          tx,
          ids.map((sid) => ({
            id: newId(),
            tenantId: ctx.tenantId,
            studentId: sid,
            type: input.type,
            at,
            endAt: null,
            date,
            details: d,
            note: input.note ?? null,
            visibleToGuardians: input.visibleToGuardians ?? true,
            recordedByMembershipId: ctx.membershipId,
            batchId,
            createdAt: now,
            updatedAt: now,
          })),
        );
        await auditRepository.append(tx, {
          ...auditActor(ctx),
          action: 'care_entry.batch_created',
          targetType: 'room',
          targetId: room.id,
          after: { batchId, type: input.type, at: at.toISOString(), details: d, entryIds: rows.map((r) => r.id), studentIds: rows.map((r) => r.studentId) },
        });
        return { items: rows.map(careEntryDto) };
      });
    },

    async get(ctx: TenantContext, id: string): Promise<CareEntryDto> {
      if (!isUuid(id)) throw notFound('Care entry');
      return db.scoped(forTenant(ctx), async (tx) => {
        const row = await repo.get(tx, ctx.tenantId, id);
        if (!row) throw notFound('Care entry');
        await assertVisible(tx, ctx, row);
        return careEntryDto(row);
      });
    },

    async update(ctx: TenantContext, id: string, input: CareEntryPatchInput, ifMatch?: number): Promise<CareEntryDto> {
      if (!isUuid(id)) throw notFound('Care entry');
      const now = clock.now();
      return db.scoped(forTenant(ctx), async (tx) => {
        const { before, after } = await changeVersioned(tx, ctx, {
          what: 'Care entry',
          target: { type: 'care_entry', id },
          ifMatch,
          lock: () => repo.get(tx, ctx.tenantId, id, true),
          visible: (b) => assertVisible(tx, ctx, b),
          async write(b) {
            const at = input.at !== undefined ? clientInstant(input.at, 'at', now) : b.at;
            const endAt = input.endAt === undefined ? b.endAt : input.endAt === null ? null : clientInstant(input.endAt, 'endAt', now);
            times(at, endAt);
            const patch = {
              at,
              endAt,
              date: input.at !== undefined ? await centreDate(tx, ctx.tenantId, at) : b.date,
              ...(input.details !== undefined ? { details: details(b.type, input.details) } : {}),
              ...(input.note !== undefined ? { note: input.note } : {}),
              ...(input.visibleToGuardians !== undefined ? { visibleToGuardians: input.visibleToGuardians } : {}),
            };
            const same =
              at.getTime() === b.at.getTime() &&
              (endAt?.getTime() ?? null) === (b.endAt?.getTime() ?? null) &&
              (patch.details === undefined || JSON.stringify(patch.details) === JSON.stringify(b.details)) &&
              (patch.note === undefined || patch.note === b.note) &&
              (patch.visibleToGuardians === undefined || patch.visibleToGuardians === b.visibleToGuardians);
            if (same) return UNCHANGED;
            return repo.update(tx, ctx.tenantId, id, patch, b.version, now);
          },
          audit: (b, a) => ({ action: 'care_entry.updated', before: careEntryDto(b), after: careEntryDto(a) }),
        });
        return careEntryDto(after ?? before);
      });
    },

    async remove(ctx: TenantContext, id: string, ifMatch?: number): Promise<void> {
      if (!isUuid(id)) throw notFound('Care entry');
      await db.scoped(forTenant(ctx), async (tx) => {
        await changeVersioned(tx, ctx, {
          what: 'Care entry',
          target: { type: 'care_entry', id },
          ifMatch,
          lock: () => repo.get(tx, ctx.tenantId, id, true),
          visible: (b) => assertVisible(tx, ctx, b),
          write: (b) => repo.delete(tx, ctx.tenantId, id, b.version),
          audit: (b) => ({ action: 'care_entry.deleted', before: careEntryDto(b) }),
        });
      });
    },

    /** One child's entries on a local day (default today), ordered by `at`; a guardian gets only the visible ones. */
    async listForStudent(ctx: TenantContext, studentId: string, q: { date?: string }) {
      return db.scoped(forTenant(ctx), async (tx) => {
        const sid = (await visibleStudent(tx, ctx, studentId)).id;
        const rows = await repo.forDay(tx, ctx.tenantId, sid, await day(tx, ctx, q.date), ctx.guardianOnly);
        return { items: rows.map(careEntryDto), nextCursor: null };
      });
    },

    /** The day in one read transaction: stays, absence, entries (a guardian: visible ones) and the summary of those. */
    async dailyReport(ctx: TenantContext, studentId: string, q: { date?: string }) {
      return db.scoped(forTenant(ctx), async (tx) => {
        const sid = await visibleStudentId(tx, ctx, studentId);
        const date = await day(tx, ctx, q.date);
        const read = await repo.day(tx, ctx.tenantId, sid, date, ctx.guardianOnly);
        if (!read) throw notFound('Student');
        const { stays, absence, entries } = read;
        return {
          date,
          studentId: sid,
          attendance: stays.map(attendance.stayDto),
          absence: absence ? attendance.absenceDto(absence) : null,
          entries: entries.map(careEntryDto),
          summary: summarize(entries),
        };
      });
    },
  };
}
export type CareEntriesService = ReturnType<typeof createCareEntriesService>;
