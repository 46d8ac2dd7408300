import type { TenantContext } from '../../core/context.js';
import { conflict, notFound } from '../../core/errors.js';
import { isUuid, newId } from '../../core/ids.js';
import { addDays, startOfLocalDay } from '../../core/time.js';
import type { IncidentStatus, IncidentType } from '../../models/enums.js';
import type { AttendanceReads } from '../attendance/index.js';
import { auditActor } from '../../db/audit.repository.js';
import { forTenant, pgConstraint, type Tx } from '../../db/db.js';
import { incidentsRepository as repo, type IncidentRow } from './incidents.repository.js';
import { access } from '../../auth/access.js';
import { centreTimeZone, clientInstant, visibleStudent, visibleStudentId, visibleStudentIds } from '../../kernel/day.js';
import type { ServiceDeps } from '../../kernel/deps.js';
import type { Notify } from '../../kernel/notify-port.js';
import type { NotificationAudience } from '../notifications/index.js';

const noNotify: Notify = async () => {};

import type { PostStudentMessage } from '../messages/index.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { changeVersioned, UNCHANGED } from '../../kernel/versioned-change.js';
import { createRecorded } from '../../kernel/recorded-create.js';

export const incidentDto = (r: IncidentRow) => ({
  id: r.id,
  studentId: r.studentId,
  roomId: r.roomId,
  occurredAt: r.occurredAt.toISOString(),
  type: r.type,
  description: r.description,
  actionTaken: r.actionTaken,
  location: r.location,
  status: r.status,
  reportedByMembershipId: r.reportedByMembershipId,
  reviewedAt: r.reviewedAt ? r.reviewedAt.toISOString() : null,
  reviewedByMembershipId: r.reviewedByMembershipId,
  acknowledgedAt: r.acknowledgedAt ? r.acknowledgedAt.toISOString() : null,
  acknowledgedByGuardianId: r.acknowledgedByGuardianId,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  version: r.version,
});
export type IncidentDto = ReturnType<typeof incidentDto>;

export interface IncidentInput {
  studentId: string;
  occurredAt: string;
  type: IncidentType;
  description: string;
  actionTaken: string;
  location?: string | null;
}
export type IncidentPatch = Partial<Omit<IncidentInput, 'studentId'>>;

/** The database's refusals of a change to the signed record or a step outside the state machine. */
const FROZEN = new Set(['incidents_acknowledged_frozen', 'incidents_state_machine']);
const signed = () => conflict('The incident has been acknowledged: the signed record never changes');

/**
 * Incidents: open → reviewed → acknowledged, enforced here and by the database (a trigger refuses any change to an
 * acknowledged incident and any other step). Reviewing posts a message to the child's audience; a guardian sees an
 * incident once it is reviewed and acknowledges it for their own child. Every transition is audited with before/after.
 */
export function createIncidentsService({
  db,
  clock,
  notify = noNotify,
  postStudentMessage,
  attendance,
  audience,
}: Pick<ServiceDeps, 'db' | 'clock' | 'notify'> & {
  /** Messages' (the container's wiring). */
  postStudentMessage: PostStudentMessage;
  /** Attendance's (the container's wiring): where the child is now. */
  attendance: Pick<AttendanceReads, 'openStay'>;
  /** Notifications' (the container's wiring): the guardians who may view a child. */
  audience: Pick<NotificationAudience, 'viewersOf'>;
}) {

  /** 404 unless the caller may see it: staff see every incident; a guardian their own children's, once reviewed. */
  async function assertVisible(tx: Tx, ctx: TenantContext, r: IncidentRow) {
    if (!ctx.guardianOnly) return;
    if (r.status === 'open') throw notFound('Incident');
    try {
      await visibleStudentId(tx, ctx, r.studentId);
    } catch {
      throw notFound('Incident');
    }
  }

  async function mapFrozen<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (FROZEN.has(pgConstraint(e) ?? '')) throw signed();
      throw e;
    }
  }

  /** One transition or change, through the versioned-change helper: lock, 404, If-Match, guarded write, audit. */
  function transition(tx: Tx, ctx: TenantContext, id: string, ifMatch: number | undefined, action: string, write: (b: IncidentRow) => Promise<IncidentRow | undefined | typeof UNCHANGED>) {
    return changeVersioned(tx, ctx, {
      what: 'Incident',
      target: { type: 'incident', id },
      ifMatch,
      lock: () => repo.get(tx, ctx.tenantId, id, true),
      visible: (b) => assertVisible(tx, ctx, b),
      write,
      audit: (b, a) => ({ action, before: incidentDto(b), after: incidentDto(a) }),
    });
  }

  return {
    async create(ctx: TenantContext, input: IncidentInput): Promise<IncidentDto> {
      if (!isUuid(input.studentId)) throw notFound('Student');
      const now = clock.now();
      const occurredAt = clientInstant(input.occurredAt, 'occurredAt', now);
      return db.scoped(forTenant(ctx), async (tx) => {
        const s = await visibleStudent(tx, ctx, input.studentId);
        // Where the child was: the room of the stay open now, else their own room.
        const open = await attendance.openStay(tx, ctx.tenantId, s.id);
        return createRecorded(tx, ctx, {
          action: 'incident.created',
          targetType: 'incident',
          insert: () =>
            repo.insert(tx, {
              id: newId(),
              tenantId: ctx.tenantId,
              studentId: s.id,
              roomId: open?.roomId ?? s.roomId,
              occurredAt,
              type: input.type,
              description: input.description,
              actionTaken: input.actionTaken,
              location: input.location ?? null,
              reportedByMembershipId: ctx.membershipId,
              createdAt: now,
              updatedAt: now,
            }),
          dto: incidentDto,
        });
      });
    },

    async get(ctx: TenantContext, id: string): Promise<IncidentDto> {
      if (!isUuid(id)) throw notFound('Incident');
      return db.scoped(forTenant(ctx), async (tx) => {
        const row = await repo.get(tx, ctx.tenantId, id);
        if (!row) throw notFound('Incident');
        await assertVisible(tx, ctx, row);
        return incidentDto(row);
      });
    },

    /** `from`/`to` are the centre's local dates of `occurredAt` (both included). */
    async list(ctx: TenantContext, q: { studentId?: string; status?: IncidentStatus; from?: string; to?: string; limit: number; cursor?: string }) {
      const cursor = decodeUuidCursor(q.cursor);
      const rows = await db.scoped(forTenant(ctx), async (tx) => {
        const tz = await centreTimeZone(tx, ctx.tenantId);
        const studentIds = await visibleStudentIds(tx, ctx);
        return repo.list(tx, ctx.tenantId, {
          studentId: q.studentId?.toLowerCase(),
          status: q.status,
          from: q.from ? startOfLocalDay(q.from, tz) : undefined,
          to: q.to ? startOfLocalDay(addDays(q.to, 1), tz) : undefined,
          studentIds,
          hideOpen: ctx.guardianOnly,
          cursor,
          limit: q.limit,
        });
      });
      return toPage(rows, q.limit, incidentDto, (r) => r.id);
    },

    /** Staff change the report while it is open or reviewed; once acknowledged → 409. */
    async update(ctx: TenantContext, id: string, input: IncidentPatch, ifMatch?: number): Promise<IncidentDto> {
      if (!isUuid(id)) throw notFound('Incident');
      const now = clock.now();
      return mapFrozen(() =>
        db.scoped(forTenant(ctx), async (tx) => {
          const { before, after } = await transition(tx, ctx, id, ifMatch, 'incident.updated', async (b) => {
            if (b.status === 'acknowledged') throw signed();
            const patch = {
              ...(input.occurredAt !== undefined ? { occurredAt: clientInstant(input.occurredAt, 'occurredAt', now) } : {}),
              ...(input.type !== undefined ? { type: input.type } : {}),
              ...(input.description !== undefined ? { description: input.description } : {}),
              ...(input.actionTaken !== undefined ? { actionTaken: input.actionTaken } : {}),
              ...(input.location !== undefined ? { location: input.location } : {}),
            };
            if (!Object.keys(patch).length) return UNCHANGED;
            return repo.update(tx, ctx.tenantId, id, patch, b.version, now);
          });
          return incidentDto(after ?? before);
        }),
      );
    },

    /** open → reviewed (owner/admin); the child's guardians are told by a message that it waits for them. */
    async review(ctx: TenantContext, id: string, ifMatch?: number): Promise<IncidentDto> {
      if (!isUuid(id)) throw notFound('Incident');
      const now = clock.now();
      return mapFrozen(() =>
        db.scoped(forTenant(ctx), async (tx) => {
          const { after } = await transition(tx, ctx, id, ifMatch, 'incident.reviewed', async (b) => {
            if (b.status === 'acknowledged') throw signed();
            if (b.status !== 'open') throw conflict('The incident has already been reviewed');
            return repo.update(tx, ctx.tenantId, id, { status: 'reviewed', reviewedAt: now, reviewedByMembershipId: ctx.membershipId }, b.version, now);
          });
          const s = await visibleStudent(tx, ctx, after!.studentId);
          await postStudentMessage(tx, {
            tenantId: ctx.tenantId,
            authorMembershipId: ctx.membershipId,
            actor: auditActor(ctx),
            studentId: after!.studentId,
            body: `An incident report about ${s.firstName} (${after!.type.replace('_', ' ')}) is waiting for your acknowledgement.`,
            now,
          });
          // incident.reviewed: the guardians who can view the child (in-app, and an email naming the child only).
          await notify(tx, ctx.tenantId, {
            type: 'incident.reviewed',
            subject: { type: 'incident', id: after!.id },
            recipients: { guardianIds: await audience.viewersOf(tx, ctx.tenantId, after!.studentId) },
            data: { childFirstName: s.firstName, studentId: after!.studentId },
          });
          return incidentDto(after!);
        }),
      );
    },

    /** reviewed → acknowledged by a guardian of the child: records which guardian record and when. */
    async acknowledge(ctx: TenantContext, id: string, ifMatch?: number): Promise<IncidentDto> {
      if (!isUuid(id)) throw notFound('Incident');
      const now = clock.now();
      return mapFrozen(() =>
        db.scoped(forTenant(ctx), async (tx) => {
          const { after } = await transition(tx, ctx, id, ifMatch, 'incident.acknowledged', async (b) => {
            if (b.status === 'acknowledged') throw conflict('The incident has already been acknowledged');
            if (b.status !== 'reviewed') throw notFound('Incident');
            const guardianId = await repo.linkedGuardian(tx, ctx.tenantId, b.studentId, await access.guardianIds(tx, ctx));
            if (!guardianId) throw notFound('Incident');
            return repo.update(tx, ctx.tenantId, id, { status: 'acknowledged', acknowledgedAt: now, acknowledgedByGuardianId: guardianId }, b.version, now);
          });
          return incidentDto(after!);
        }),
      );
    },
  };
}
export type IncidentsService = ReturnType<typeof createIncidentsService>;
