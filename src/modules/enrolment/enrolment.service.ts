import { canonicalEmail } from '../../core/email.js';
import type { Actor, TenantContext } from '../../core/context.js';
import { validationError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { ApplicationStatus } from '../../models/enums.js';
import { auditActor, auditRepository } from '../../db/audit.repository.js';
import { forTenant, type Tx } from '../../db/db.js';
import { applicationsRepository, waitlistSettingsRepository, type ApplicationInsert, type ApplicationRow, type WaitlistCursor } from './enrolment.repository.js';
import { requireId } from '../../kernel/helpers.js';
import { createRecorded } from '../../kernel/recorded-create.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { applicationDto, applicationRecord, type WaitlistSettings } from './applications.dto.js';
import { clearOffer, createApplicationMoves, wrongStatus } from './application-moves.js';
import { createOffers, type OfferDeps } from './offers.service.js';

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
export type EnrolmentDeps = OfferDeps;
export type { EnrolmentActor } from './application-moves.js';
export type { OfferInput } from './offers.service.js';

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
export function createEnrolmentService(deps: EnrolmentDeps) {
  const { db, clock } = deps;
  const moves = createApplicationMoves(deps);
  const { settingsOf, read, checkRoom, move } = moves;
  const offers = createOffers(deps, moves);
  const childKey = (a: { childFirstName: string; childLastName: string; childDateOfBirth: string }) => ({ firstName: a.childFirstName, lastName: a.childLastName, dateOfBirth: a.childDateOfBirth });

  return {
    ...offers,
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
