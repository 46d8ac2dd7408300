import type { Clock } from '../../core/clock.js';
import type { TenantContext } from '../../core/context.js';
import { conflict, notFound, preconditionFailed, unprocessable, validationError } from '../../core/errors.js';
import { isUuid, newId } from '../../core/ids.js';
import { localDate } from '../../core/time.js';
import type { StudentStatus } from '../../models/enums.js';
import { auditRepository, type AuditRepository } from '../../db/audit.repository.js';
import { forTenant, pgConstraint, type Database, type Tx } from '../../db/db.js';
import { guardiansRepository } from './guardians.repository.js';
import { roomsRepository } from './rooms.repository.js';
import { studentGuardiansRepository, studentsRepository, type StudentGuardianRow, type StudentItem, type StudentListRow } from './students.repository.js';
import { tenantsRepository } from '../../db/tenancy.repository.js';
import { access } from '../../auth/access.js';
import { iso, requireId, sent, type ListOptions } from '../../kernel/helpers.js';
import { guardianDto } from './guardians.service.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { createStudentsImport, type ImportDeps } from './students-import.js';
import { birthDateProblem, NOT_A_ROOM } from './students.rules.js';
import { changeVersioned, UNCHANGED } from '../../kernel/versioned-change.js';
import { createRecorded } from '../../kernel/recorded-create.js';


export const studentDto = (s: StudentListRow): StudentItem => ({
  id: s.id,
  firstName: s.firstName,
  lastName: s.lastName,
  dateOfBirth: s.dateOfBirth,
  roomId: s.roomId,
  allergies: s.allergies,
  notes: s.notes,
  externalId: s.externalId,
  status: s.status,
  photoFileId: s.photoFileId,
  archivedAt: iso(s.archivedAt),
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
  version: s.version,
});
export type StudentDto = ReturnType<typeof studentDto>;

export const linkDto = (l: StudentGuardianRow) => ({
  studentId: l.studentId,
  guardianId: l.guardianId,
  relationship: l.relationship,
  authorizedPickup: l.authorizedPickup,
  emergencyContact: l.emergencyContact,
  canViewRecords: l.canViewRecords,
  createdAt: l.createdAt.toISOString(),
  updatedAt: l.updatedAt.toISOString(),
  version: l.version,
});

export interface LinkInput {
  relationship: string;
  authorizedPickup?: boolean;
  /** Data only: who to call first. */
  emergencyContact?: boolean;
  /** False = a pickup-only contact: the child is invisible to this adult on every route (access.ts). */
  canViewRecords?: boolean;
}

export interface StudentInput {
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  roomId?: string | null;
  allergies?: string | null;
  notes?: string | null;
  externalId?: string | null;
  status?: StudentStatus;
}
export interface StudentListQuery extends ListOptions {
  roomId?: string;
  status?: StudentStatus;
  q?: string;
}

const roomDetail = [{ path: 'roomId', message: NOT_A_ROOM }];

export function createStudentsService({
  db,
  clock,
  imports,
  repositories = { audit: auditRepository },
}: {
  db: Pick<Database, 'scoped'>;
  clock: Clock;
  /** What the CSV import needs of the files and jobs capabilities. */
  imports: ImportDeps;
  /** The audit repository the import writes through (a test hands in a fake to aim at one rule). */
  repositories?: { audit: Pick<AuditRepository, 'append' | 'appendMany'> };
}) {
  /** A birth date is a real calendar day that has begun somewhere: not after today in the centre's time zone. */
  async function checkBirthDate(tx: Tx, ctx: TenantContext, dateOfBirth: string) {
    const tenant = await tenantsRepository.get(tx, ctx.tenantId);
    const problem = birthDateProblem(dateOfBirth, localDate(clock.now(), tenant?.timezone ?? 'UTC'));
    if (problem) throw validationError('The request is not valid', [{ path: 'dateOfBirth', message: problem }]);
  }

  /** The room must be a live room of this centre (the composite foreign key guarantees the tenant part too). */
  async function checkRoom(tx: Tx, ctx: TenantContext, roomId: string | null | undefined) {
    if (roomId === null || roomId === undefined) return;
    const ok = isUuid(roomId) && (await roomsRepository.liveIds(tx, ctx.tenantId, [roomId])).length === 1;
    if (!ok) throw unprocessable('Unknown room', roomDetail);
  }

  function mapConstraint(e: unknown): never {
    const c = pgConstraint(e);
    if (c === 'students_tenant_external_id_key') throw conflict('Another child already has this externalId', [{ path: 'externalId', message: 'already used' }]);
    if (c === 'students_room_fk') throw unprocessable('Unknown room', roomDetail);
    throw e;
  }

  async function loadVisible(tx: Tx, ctx: TenantContext, id: string) {
    const row = await studentsRepository.get(tx, ctx.tenantId, id);
    if (!row) throw notFound('Student');
    await access.assertStudentVisible(tx, ctx, id);
    return row;
  }

  return {
    /** The CSV import (the job calls `importFile` with its JobActor): the same rules, writes and audit rows. */
    ...createStudentsImport({ db, clock, imports, studentDto, linkDto, audit: repositories.audit }),

    async list(ctx: TenantContext, q: StudentListQuery) {
      const cursor = decodeUuidCursor(q.cursor);
      const rows = await db.scoped(forTenant(ctx), async (tx) => {
        const visible = await access.visibleStudentIds(tx, ctx);
        if (visible && !visible.length) return [];
        return studentsRepository.list(tx, ctx.tenantId, {
          cursor,
          limit: q.limit,
          includeArchived: q.includeArchived,
          roomId: q.roomId,
          status: q.status,
          q: q.q,
          ids: visible ?? undefined,
        });
      });
      // The list's rows are already DTOs (studentsRepository.list).
      return toPage(rows, q.limit, (r) => r, (r) => r.id);
    },

    async get(ctx: TenantContext, rawId: string) {
      const id = requireId(rawId, 'Student');
      return db.scoped(forTenant(ctx), async (tx) => studentDto(await loadVisible(tx, ctx, id)));
    },

    async create(ctx: TenantContext, input: StudentInput) {
      try {
        return await db.scoped(forTenant(ctx), async (tx) => {
          await checkBirthDate(tx, ctx, input.dateOfBirth);
          await checkRoom(tx, ctx, input.roomId);
          return createRecorded(tx, ctx, {
            action: 'student.created',
            targetType: 'student',
            insert: () =>
              studentsRepository.insert(tx, ctx.tenantId, {
                id: newId(),
                firstName: input.firstName,
                lastName: input.lastName,
                dateOfBirth: input.dateOfBirth,
                roomId: input.roomId ?? null,
                allergies: input.allergies ?? null,
                notes: input.notes ?? null,
                externalId: input.externalId ?? null,
                status: input.status ?? 'enrolled',
              }),
            dto: studentDto,
          });
        });
      } catch (e) {
        mapConstraint(e);
      }
    },

    async update(ctx: TenantContext, rawId: string, patch: Partial<StudentInput>, ifMatch?: number) {
      const id = requireId(rawId, 'Student');
      const changes = sent(patch);
      try {
        return await db.scoped(forTenant(ctx), async (tx) => {
          const { before, after } = await changeVersioned(tx, ctx, {
            what: 'Student',
            target: { type: 'student', id },
            ifMatch,
            lock: () => studentsRepository.getForUpdate(tx, ctx.tenantId, id),
            async write(b) {
              if (!Object.keys(changes).length) return UNCHANGED;
              if (changes.dateOfBirth !== undefined) await checkBirthDate(tx, ctx, changes.dateOfBirth);
              if (changes.roomId !== undefined && changes.roomId !== b.roomId) await checkRoom(tx, ctx, changes.roomId);
              return studentsRepository.update(tx, ctx.tenantId, id, changes, b.version, clock.now());
            },
            audit: (b, a) => ({ action: 'student.updated', before: studentDto(b), after: studentDto(a) }),
          });
          return studentDto(after ?? before);
        });
      } catch (e) {
        mapConstraint(e);
      }
    },

    /** Archives: the record and its attendance are kept; GET still answers with `archivedAt`; lists hide it. */
    async archive(ctx: TenantContext, rawId: string, ifMatch?: number) {
      const id = requireId(rawId, 'Student');
      await db.scoped(forTenant(ctx), (tx) =>
        changeVersioned(tx, ctx, {
          what: 'Student',
          target: { type: 'student', id },
          ifMatch,
          lock: () => studentsRepository.getForUpdate(tx, ctx.tenantId, id),
          write: async (b) => (b.archivedAt ? UNCHANGED : studentsRepository.update(tx, ctx.tenantId, id, { archivedAt: clock.now() }, b.version, clock.now())),
          audit: (b, a) => ({ action: 'student.archived', before: studentDto(b), after: studentDto(a) }),
        }),
      );
    },

    /** The child's guardians with the link fields (a guardian sees those of their own children). */
    async listGuardians(ctx: TenantContext, rawId: string) {
      const id = requireId(rawId, 'Student');
      return db.scoped(forTenant(ctx), async (tx) => {
        await loadVisible(tx, ctx, id);
        const rows = await studentGuardiansRepository.guardiansOf(tx, ctx.tenantId, id);
        return {
          items: rows.map(({ guardian, link }) => ({ ...guardianDto(guardian), relationship: link.relationship, authorizedPickup: link.authorizedPickup, emergencyContact: link.emergencyContact, canViewRecords: link.canViewRecords })),
          nextCursor: null,
        };
      });
    },

    /** Creates or replaces the link; `created` tells the route 201 from 200. */
    async linkGuardian(ctx: TenantContext, rawStudentId: string, rawGuardianId: string, input: LinkInput, ifMatch?: number) {
      // PUT replaces the link: a flag left out takes its default (CONTRACT §5).
      const fields = {
        relationship: input.relationship,
        authorizedPickup: input.authorizedPickup ?? false,
        emergencyContact: input.emergencyContact ?? false,
        canViewRecords: input.canViewRecords ?? true,
      };
      const studentId = requireId(rawStudentId, 'Student');
      const guardianId = requireId(rawGuardianId, 'Guardian');
      return db.scoped(forTenant(ctx), async (tx) => {
        // The child's row lock serialises link changes: two first PUTs cannot both insert.
        const student = await studentsRepository.lockForLinks(tx, ctx.tenantId, studentId);
        if (!student) throw notFound('Student');
        const guardian = await guardiansRepository.get(tx, ctx.tenantId, guardianId);
        if (!guardian) throw notFound('Guardian');
        const before = await studentGuardiansRepository.get(tx, ctx.tenantId, studentId, guardianId);
        const target = { targetType: 'student_guardian', targetId: `${studentId}:${guardianId}` };
        if (!before) {
          if (ifMatch !== undefined) throw preconditionFailed();
          if (student.archivedAt || guardian.archivedAt) throw unprocessable('An archived child or guardian cannot be linked');
          const link = await createRecorded(tx, ctx, {
            action: 'student_guardian.linked',
            targetType: target.targetType,
            targetId: () => target.targetId,
            insert: () => studentGuardiansRepository.insert(tx, ctx.tenantId, { studentId, guardianId, ...fields }),
            dto: linkDto,
          });
          return { link, created: true };
        }
        // An existing link: read under the child's lock above.
        const { after } = await changeVersioned(tx, ctx, {
          what: 'Guardian link',
          target: { type: target.targetType, id: target.targetId },
          ifMatch,
          lock: async () => before,
          write: (b) => studentGuardiansRepository.update(tx, ctx.tenantId, studentId, guardianId, fields, b.version, clock.now()),
          audit: (b, a) => ({ action: 'student_guardian.updated', before: linkDto(b), after: linkDto(a) }),
        });
        return { link: linkDto(after!), created: false };
      });
    },

    async unlinkGuardian(ctx: TenantContext, rawStudentId: string, rawGuardianId: string, ifMatch?: number) {
      const studentId = requireId(rawStudentId, 'Student');
      const guardianId = requireId(rawGuardianId, 'Guardian');
      await db.scoped(forTenant(ctx), async (tx) => {
        if (!(await studentsRepository.lockForLinks(tx, ctx.tenantId, studentId))) throw notFound('Student');
        if (!(await guardiansRepository.get(tx, ctx.tenantId, guardianId))) throw notFound('Guardian');
        await changeVersioned(tx, ctx, {
          what: 'Guardian link',
          target: { type: 'student_guardian', id: `${studentId}:${guardianId}` },
          ifMatch,
          lock: () => studentGuardiansRepository.get(tx, ctx.tenantId, studentId, guardianId),
          // A removal: the row goes, so the audit row keeps only the before image.
          write: async (b) => {
            await studentGuardiansRepository.delete(tx, ctx.tenantId, studentId, guardianId);
            // The adult's kiosk PIN dies with the link: a new relationship gets a new PIN (CONTRACT §5 "Kiosk").
            await guardiansRepository.clearPin(tx, ctx.tenantId, guardianId, clock.now());
            return b;
          },
          audit: (b) => ({ action: 'student_guardian.unlinked', before: linkDto(b) }),
        });
      });
    },
  };
}
export type StudentsService = ReturnType<typeof createStudentsService>;
