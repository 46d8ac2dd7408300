import { canonicalEmail } from '../../core/email.js';
import type { Clock } from '../../core/clock.js';
import type { Actor, TenantContext } from '../../core/context.js';
import { conflict, forbidden, notFound, unprocessable, validationError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { newEnrolmentToken } from '../../core/security/enrolment-tokens.js';
import { localDate } from '../../core/time.js';
import type { ApplicationStatus, WaitlistPriority } from '../../models/enums.js';
import { auditActor, auditRepository } from '../../db/audit.repository.js';
import { forTenant, type Database, type Tx } from '../../db/db.js';
import { applicationsRepository, waitlistSettingsRepository, type ApplicationInsert, type ApplicationRow, type WaitlistCursor } from './enrolment.repository.js';
import { guardiansRepository } from '../people/guardians.repository.js';
import { roomsRepository } from '../people/rooms.repository.js';
import { studentGuardiansRepository, studentsRepository } from '../people/students.repository.js';
import { membershipsRepository, tenantsRepository } from '../../db/tenancy.repository.js';
import { requireId } from '../../kernel/helpers.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import type { InviterContext, TenancyService } from '../tenancy/index.js';
import { changeVersioned } from '../../kernel/versioned-change.js';
import { applicationDto, applicationRecord, DEFAULT_WAITLIST, effectiveStatus, type WaitlistSettings } from './applications.dto.js';
import type { EnrolmentBilling } from './billing-port.js';
import type { Notify } from './notify-port.js';
import { createRecorded } from '../../kernel/recorded-create.js';

export interface ApplicationInput {
  child: { firstName: string; lastName: string; dateOfBirth: string };
  guardian: { firstName: string; lastName: string; email: string; phone?: string | null };
  desiredStartDate: string;
  roomId?: string | null;
  siblingStudentId?: string | null;
  staffChild?: boolean;
  notes?: string | null;
}
export type ApplicationPatch = Partial<ApplicationInput>;
export interface OfferInput {
  roomId: string;
  startDate: string;
  planId?: string;
  expiresAt?: string;
  outOfOrderReason?: string;
}

export interface EnrolmentDeps {
  db: Database;
  clock: Clock;
  notify: Notify;
  billing: EnrolmentBilling;
  /** The tenancy service's invitation: the accept invites through the very code path POST /memberships uses. */
  tenancy: Pick<TenancyService, 'invite'>;
}

const MAX_OFFER_DAYS = 30;
/** Who acts on an application: a member, or the holder of an offer link (no user, no membership). */
export type EnrolmentActor = Actor & { roles: readonly string[] };

const encodeWaitlistCursor = (c: WaitlistCursor & { position: number }) => Buffer.from(JSON.stringify(c)).toString('base64url');
function decodeWaitlistCursor(cursor: string | undefined): (WaitlistCursor & { position: number }) | undefined {
  if (!cursor) return undefined;
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as WaitlistCursor & { position: number };
    if (Number.isInteger(c.tier) && Number.isInteger(c.position) && typeof c.id === 'string' && /^[0-9a-f-]{36}$/.test(c.id) && !Number.isNaN(Date.parse(c.rankAt))) return c;
  } catch {
    /* below */
  }
  throw validationError('The cursor is not valid', [{ path: 'cursor', message: 'not a cursor this API issued' }]);
}

/**
 * Enrolment (CONTRACT §5 "Enrolment"): applications, the waitlist in its one order, offers with capacity and a
 * deadline, and the moves between statuses; accepting enrols the child in one transaction. Every move is audited
 * with before/after in the transaction that makes it.
 */
export function createEnrolmentService({ db, clock, notify, billing, tenancy }: EnrolmentDeps) {
  async function settingsOf(tx: Tx, tenantId: string): Promise<WaitlistSettings> {
    const row = await waitlistSettingsRepository.get(tx, tenantId);
    return row ? { priorities: row.priorities as WaitlistPriority[], offerHoldHours: row.offerHoldHours, applicationRetentionMonths: row.retentionMonths } : { ...DEFAULT_WAITLIST };
  }
  async function read(tx: Tx, tenantId: string, id: string) {
    const s = await settingsOf(tx, tenantId);
    const row = await applicationsRepository.get(tx, tenantId, id, s.priorities);
    if (!row) throw notFound('Application');
    return applicationDto(row, clock.now());
  }
  async function checkRoom(tx: Tx, tenantId: string, roomId: string | null | undefined) {
    if (!roomId) return;
    const room = await roomsRepository.get(tx, tenantId, roomId.toLowerCase());
    if (!room || room.archivedAt) throw notFound('Room');
  }
  const childKey = (a: { childFirstName: string; childLastName: string; childDateOfBirth: string }) => ({ firstName: a.childFirstName, lastName: a.childLastName, dateOfBirth: a.childDateOfBirth });

  /**
   * One move of an application: lock → 404 → If-Match → the status rule (409) → the write (version compare-and-set)
   * → the audit row (before/after), all in the caller's transaction.
   */
  async function move(
    tx: Tx,
    ctx: Actor,
    id: string,
    action: string,
    ifMatch: number | undefined,
    change: (before: ApplicationRow, status: ApplicationStatus) => Promise<Partial<ApplicationInsert>> | Partial<ApplicationInsert>,
  ) {
    const now = clock.now();
    const { after } = await changeVersioned(tx, ctx as TenantContext, {
      what: 'Application',
      target: { type: 'application', id },
      ifMatch,
      lock: () => applicationsRepository.getForUpdate(tx, ctx.tenantId, id),
      write: async (b) => applicationsRepository.update(tx, ctx.tenantId, id, await change(b, effectiveStatus(b, now)), b.version, now),
      audit: (b, a) => ({ action, before: applicationRecord(b, now), after: applicationRecord(a, now) }),
    });
    return after!;
  }
  const wrongStatus = (status: string, verb: string) => conflict(`An application that is ${status} cannot be ${verb}`);

  async function accept(ctx: EnrolmentActor, id: string) {
    // One transaction: the guardian, the child, the link, billing, the invitation and the move commit together.
    return db.unitOfWork(forTenant(ctx), async (tx) => {
      const now = clock.now();
      let result: { studentId: string; guardianId: string; membershipId: string | null } | undefined;
      await move(tx, ctx, id, 'application.accepted', undefined, async (b, status) => {
        if (status !== 'offered') throw wrongStatus(status, 'accepted');
        const email = b.guardianEmail;
        const found = await guardiansRepository.liveByEmail(tx, ctx.tenantId, email);
        let guardianId = found?.id;
        if (!guardianId) {
          const insert = () => guardiansRepository.insert(tx, ctx.tenantId, { id: newId(), firstName: b.guardianFirstName, lastName: b.guardianLastName, email, phone: b.guardianPhone });
          guardianId = await createRecorded(tx, ctx, { action: 'guardian.created', targetType: 'guardian', insert, dto: (g) => g.id, after: (g) => ({ id: g.id, applicationId: id }) });
        }
        const child = { id: newId(), firstName: b.childFirstName, lastName: b.childLastName, dateOfBirth: b.childDateOfBirth, roomId: b.offerRoomId, allergies: null, notes: null, externalId: null, status: 'enrolled' as const };
        const student = await createRecorded(tx, ctx, {
          action: 'student.created',
          targetType: 'student',
          insert: () => studentsRepository.insert(tx, ctx.tenantId, child),
          dto: (s) => s,
          after: (s) => ({ id: s.id, roomId: s.roomId, applicationId: id }),
        });
        await studentGuardiansRepository.insert(tx, ctx.tenantId, { studentId: student.id, guardianId, relationship: 'parent', authorizedPickup: true, emergencyContact: true, canViewRecords: true });
        if (b.offerPlanId) await billing.enrolOnPlan(tx, ctx, { guardianId, studentId: student.id, planId: b.offerPlanId, startDate: b.offerStartDate! });
        let membershipId: string | null = null;
        if (!(await membershipsRepository.getByEmail(tx, ctx.tenantId, email))) {
          const inviter: InviterContext = { ...ctx, roles: [...ctx.roles] };
          membershipId = (await tenancy.invite(inviter, { email, roles: ['guardian'] })).id;
        }
        result = { studentId: student.id, guardianId, membershipId };
        return { status: 'enrolled', studentId: student.id, guardianId, membershipId, offerTokenUsedAt: b.offerTokenUsedAt ?? now, closedAt: now };
      });
      return { application: await read(tx, ctx.tenantId, id), ...result! };
    });
  }

  async function decline(ctx: Actor, id: string, returnToWaitlist: boolean) {
    return db.scoped(forTenant(ctx), async (tx) => {
      const now = clock.now();
      await move(tx, ctx, id, 'application.declined', undefined, (b, status) => {
        if (status !== 'offered') throw wrongStatus(status, 'declined');
        const used = { offerTokenUsedAt: b.offerTokenUsedAt ?? now };
        // Back on the list at the end of its tier: rankAt is now (the offer stays in the audit trail).
        return returnToWaitlist ? { ...used, ...clearOffer, status: 'waitlisted', rankAt: now } : { ...used, status: 'declined', closedAt: now };
      });
      return read(tx, ctx.tenantId, id);
    });
  }
  const clearOffer = { offerRoomId: null, offerStartDate: null, offerPlanId: null, offerExpiresAt: null, offerOutOfOrderReason: null, offerTokenHash: null, offerTokenUsedAt: null };

  return {
    settingsOf,
    async waitlistSettings(ctx: TenantContext) {
      return db.scoped(forTenant(ctx), (tx) => settingsOf(tx, ctx.tenantId));
    },
    /** PATCH /tenant `waitlist`: inside the tenant change's transaction (tenancy.service's settings sections). */
    async writeWaitlistSettings(tx: Tx, ctx: TenantContext, patch: Partial<WaitlistSettings>) {
      const before = await settingsOf(tx, ctx.tenantId);
      const after = {
        priorities: [...new Set(patch.priorities ?? before.priorities)],
        offerHoldHours: patch.offerHoldHours ?? before.offerHoldHours,
        applicationRetentionMonths: patch.applicationRetentionMonths ?? before.applicationRetentionMonths,
      };
      await waitlistSettingsRepository.upsert(tx, ctx.tenantId, { priorities: after.priorities, offerHoldHours: after.offerHoldHours, retentionMonths: after.applicationRetentionMonths }, clock.now());
      await auditRepository.append(tx, { ...auditActor(ctx), action: 'waitlist.settings_updated', targetType: 'tenant', targetId: ctx.tenantId, before, after });
      return after;
    },

    /** A staff application, or (from the public service) a form's; the duplicate check runs for both. */
    async createIn(tx: Tx, ctx: Actor, input: ApplicationInput, source: { source: 'staff' | 'public'; formId?: string }) {
      await checkRoom(tx, ctx.tenantId, input.roomId);
      const now = clock.now();
      const id = newId();
      const values: ApplicationInsert = {
        id,
        tenantId: ctx.tenantId,
        status: 'waitlisted',
        source: source.source,
        formId: source.formId ?? null,
        childFirstName: input.child.firstName,
        childLastName: input.child.lastName,
        childDateOfBirth: input.child.dateOfBirth,
        guardianFirstName: input.guardian.firstName,
        guardianLastName: input.guardian.lastName,
        guardianEmail: canonicalEmail(input.guardian.email),
        guardianPhone: input.guardian.phone ?? null,
        desiredStartDate: input.desiredStartDate,
        roomId: input.roomId?.toLowerCase() ?? null,
        siblingStudentId: input.siblingStudentId?.toLowerCase() ?? null,
        staffChild: input.staffChild ?? false,
        notes: input.notes ?? null,
        submittedAt: now,
        rankAt: now,
      };
      values.possibleDuplicateOfId = await applicationsRepository.duplicateOf(tx, ctx.tenantId, childKey(values as ApplicationRow));
      const insert = () => applicationsRepository.insert(tx, values);
      return createRecorded(tx, ctx, { action: 'application.created', targetType: 'application', insert, dto: (row) => row, after: (row) => applicationRecord(row, now) });
    },

    async create(ctx: TenantContext, input: ApplicationInput) {
      return db.scoped(forTenant(ctx), async (tx) => {
        const row = await this.createIn(tx, ctx, input, { source: 'staff' });
        return read(tx, ctx.tenantId, row.id);
      });
    },

    async get(ctx: TenantContext, rawId: string) {
      const id = requireId(rawId, 'Application');
      return db.scoped(forTenant(ctx), (tx) => read(tx, ctx.tenantId, id));
    },

    async list(ctx: TenantContext, q: { status?: ApplicationStatus; limit: number; cursor?: string }) {
      const cursor = decodeUuidCursor(q.cursor);
      const now = clock.now();
      const rows = await db.scoped(forTenant(ctx), async (tx) => {
        const s = await settingsOf(tx, ctx.tenantId);
        return applicationsRepository.list(tx, ctx.tenantId, s.priorities, { status: q.status, cursor, limit: q.limit, now });
      });
      return toPage(rows, q.limit, (r) => applicationDto(r, now), (r) => r.id);
    },

    async update(ctx: TenantContext, rawId: string, patch: ApplicationPatch, ifMatch?: number) {
      const id = requireId(rawId, 'Application');
      return db.scoped(forTenant(ctx), async (tx) => {
        await move(tx, ctx, id, 'application.updated', ifMatch, async (b) => {
          if (patch.roomId) await checkRoom(tx, ctx.tenantId, patch.roomId);
          const v: Partial<ApplicationInsert> = {};
          if (patch.child) Object.assign(v, { childFirstName: patch.child.firstName, childLastName: patch.child.lastName, childDateOfBirth: patch.child.dateOfBirth });
          if (patch.guardian)
            Object.assign(v, {
              guardianFirstName: patch.guardian.firstName,
              guardianLastName: patch.guardian.lastName,
              guardianEmail: canonicalEmail(patch.guardian.email),
              guardianPhone: patch.guardian.phone ?? null,
            });
          if (patch.desiredStartDate !== undefined) v.desiredStartDate = patch.desiredStartDate;
          if (patch.roomId !== undefined) v.roomId = patch.roomId?.toLowerCase() ?? null;
          if (patch.siblingStudentId !== undefined) v.siblingStudentId = patch.siblingStudentId?.toLowerCase() ?? null;
          if (patch.staffChild !== undefined) v.staffChild = patch.staffChild;
          if (patch.notes !== undefined) v.notes = patch.notes;
          if (patch.child) v.possibleDuplicateOfId = await applicationsRepository.duplicateOf(tx, ctx.tenantId, patch.child, id);
          void b;
          return v;
        });
        return read(tx, ctx.tenantId, id);
      });
    },

    /** GET /waitlist: the waitlisted applications in order (tier, rankAt, id), each with its position. */
    async waitlist(ctx: TenantContext, q: { roomId?: string; startBy?: string; limit: number; cursor?: string }) {
      const after = decodeWaitlistCursor(q.cursor);
      const now = clock.now();
      const rows = await db.scoped(forTenant(ctx), async (tx) => {
        const s = await settingsOf(tx, ctx.tenantId);
        return applicationsRepository.waitlist(tx, ctx.tenantId, s.priorities, { roomId: q.roomId?.toLowerCase(), startBy: q.startBy, after, limit: q.limit + 1 });
      });
      const more = rows.length > q.limit;
      const items = (more ? rows.slice(0, q.limit) : rows).map((r, i) => ({ ...applicationDto(r, now), position: (after?.position ?? 0) + i + 1 }));
      const last = items[items.length - 1];
      return { items, nextCursor: more && last ? encodeWaitlistCursor({ tier: last.tier, rankAt: last.rankAt, id: last.id, position: last.position }) : null };
    },

    async offer(ctx: TenantContext, rawId: string, input: OfferInput) {
      const id = requireId(rawId, 'Application');
      if (input.planId && !ctx.entitlements.includes('billing')) throw forbidden('Offering a plan needs the billing entitlement');
      return db.scoped(forTenant(ctx), async (tx) => {
        const now = clock.now();
        const settings = await settingsOf(tx, ctx.tenantId);
        const tenant = await tenantsRepository.get(tx, ctx.tenantId);
        let token = '';
        const row = await move(tx, ctx, id, 'application.offered', undefined, async (b, status) => {
          if (status !== 'waitlisted') throw wrongStatus(status, 'offered a place');
          const expiresAt = input.expiresAt ? new Date(input.expiresAt) : new Date(now.getTime() + settings.offerHoldHours * 3_600_000);
          if (expiresAt.getTime() <= now.getTime() || expiresAt.getTime() > now.getTime() + MAX_OFFER_DAYS * 86_400_000)
            throw unprocessable('expiresAt must be after now and at most 30 days ahead', [{ path: 'expiresAt', message: 'after now, at most 30 days ahead' }]);
          if (input.startDate < localDate(now, tenant?.timezone ?? 'UTC'))
            throw unprocessable('startDate is in the past', [{ path: 'startDate', message: 'must be today or later in the centre’s time zone' }]);
          const roomId = input.roomId.toLowerCase();
          await checkRoom(tx, ctx.tenantId, roomId);
          // The same query, in the same order, as GET /waitlist?roomId=&startBy=.
          const [first] = await applicationsRepository.waitlist(tx, ctx.tenantId, settings.priorities, { roomId, startBy: input.startDate, limit: 1 });
          const reason = input.outOfOrderReason?.trim() || null;
          if (first?.id !== id && !reason)
            throw unprocessable('This application is not first on the waitlist for that room and start date: give an outOfOrderReason', [{ path: 'outOfOrderReason', message: 'required out of order' }]);
          if (input.planId && !(await billing.planIsOffered(tx, ctx.tenantId, input.planId.toLowerCase())))
            throw unprocessable('The plan does not exist or is not active', [{ path: 'planId', message: 'not an active plan of the centre' }]);
          // The room row is the lock every promise of a place queues on (as attendance moves lock it): two offers for
          // the last place → one wins; the loser counts the winner's offer.
          const room = await roomsRepository.getForUpdate(tx, ctx.tenantId, roomId);
          if ((await applicationsRepository.placesTaken(tx, ctx.tenantId, roomId, now)) >= room!.capacity) throw conflict('The room is full: its children and live offers reach its capacity');
          const t = newEnrolmentToken('offer', ctx.tenantId, id);
          token = t.token;
          return {
            status: 'offered',
            offerRoomId: roomId,
            offerStartDate: input.startDate,
            offerPlanId: input.planId?.toLowerCase() ?? null,
            offerExpiresAt: expiresAt,
            offerOutOfOrderReason: first?.id === id ? null : reason,
            offerTokenHash: t.hash,
            offerTokenUsedAt: null,
          };
        });
        await notify(tx, ctx.tenantId, {
          type: 'offer.made',
          subject: { type: 'application', id },
          recipients: { emails: [row.guardianEmail] },
          data: { offerToken: token, childFirstName: row.childFirstName, startDate: row.offerStartDate, expiresAt: row.offerExpiresAt!.toISOString() },
        });
        return read(tx, ctx.tenantId, id);
      });
    },

    accept: (ctx: EnrolmentActor, rawId: string) => accept(ctx, requireId(rawId, 'Application')),
    decline: (ctx: Actor, rawId: string, returnToWaitlist = false) => decline(ctx, requireId(rawId, 'Application'), returnToWaitlist),

    async withdraw(ctx: TenantContext, rawId: string, reason: string) {
      const id = requireId(rawId, 'Application');
      return db.scoped(forTenant(ctx), async (tx) => {
        await move(tx, ctx, id, 'application.withdrawn', undefined, (b, status) => {
          if (status !== 'waitlisted' && status !== 'offered') throw wrongStatus(status, 'withdrawn');
          return { status: 'withdrawn', withdrawReason: reason, closedAt: clock.now(), ...(b.offerTokenHash ? { offerTokenUsedAt: b.offerTokenUsedAt ?? clock.now() } : {}) };
        });
        return read(tx, ctx.tenantId, id);
      });
    },

    async reinstate(ctx: TenantContext, rawId: string) {
      const id = requireId(rawId, 'Application');
      return db.scoped(forTenant(ctx), async (tx) => {
        await move(tx, ctx, id, 'application.reinstated', undefined, (_b, status) => {
          if (status !== 'declined' && status !== 'expired' && status !== 'withdrawn') throw wrongStatus(status, 'reinstated');
          return { ...clearOffer, status: 'waitlisted', rankAt: clock.now(), withdrawReason: null, closedAt: null };
        });
        return read(tx, ctx.tenantId, id);
      });
    },
  };
}
export type EnrolmentService = ReturnType<typeof createEnrolmentService>;
