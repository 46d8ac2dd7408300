import type { Clock } from '../../core/clock.js';
import type { Actor, TenantContext } from '../../core/context.js';
import { conflict, forbidden, unprocessable } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { newEnrolmentToken } from '../../core/security/enrolment-tokens.js';
import { localDate } from '../../core/time.js';
import { forTenant, type Database } from '../../db/db.js';
import { applicationsRepository } from './enrolment.repository.js';
import { membershipsRepository, tenantsRepository } from '../../db/tenancy.repository.js';
import { requireId } from '../../kernel/helpers.js';
import { createRecorded } from '../../kernel/recorded-create.js';
import type { PeopleForEnrolment } from '../people/index.js';
import type { InviterContext, TenancyService } from '../tenancy/index.js';
import { clearOffer, wrongStatus, type ApplicationMoves, type EnrolmentActor } from './application-moves.js';
import type { EnrolmentBilling } from './billing-port.js';
import type { Notify } from './notify-port.js';

export interface OfferInput {
  roomId: string;
  startDate: string;
  planId?: string;
  expiresAt?: string;
  outOfOrderReason?: string;
}

export interface OfferDeps {
  db: Database;
  clock: Clock;
  notify: Notify;
  billing: EnrolmentBilling;
  /** The tenancy service's invitation: the accept invites through the very code path POST /memberships uses. */
  tenancy: Pick<TenancyService, 'invite'>;
  /** People's rooms, guardians, children and their links, written in enrolment's transaction (people's index.ts). */
  people: PeopleForEnrolment;
}

const MAX_OFFER_DAYS = 30;

/**
 * A place offered and its answer (CONTRACT §5 "Enrolment"): the offer holds a place of the room's capacity until its
 * deadline; accepting enrols the child (guardian, child, link, billing, invitation) in one transaction; declining
 * closes the application or puts it back at the end of its tier.
 */
export function createOffers({ db, clock, notify, billing, tenancy, people }: OfferDeps, { settingsOf, read, checkRoom, move }: ApplicationMoves) {
  async function accept(ctx: EnrolmentActor, id: string) {
    // One transaction: the guardian, the child, the link, billing, the invitation and the move commit together.
    return db.unitOfWork(forTenant(ctx), async (tx) => {
      const now = clock.now();
      let result: { studentId: string; guardianId: string; membershipId: string | null } | undefined;
      await move(tx, ctx, id, 'application.accepted', undefined, async (b, status) => {
        if (status !== 'offered') throw wrongStatus(status, 'accepted');
        const email = b.guardianEmail;
        const found = await people.liveGuardianByEmail(tx, ctx.tenantId, email);
        let guardianId = found?.id;
        if (!guardianId) {
          const insert = () => people.insertGuardian(tx, ctx.tenantId, { id: newId(), firstName: b.guardianFirstName, lastName: b.guardianLastName, email, phone: b.guardianPhone });
          guardianId = await createRecorded(tx, ctx, { action: 'guardian.created', targetType: 'guardian', insert, dto: (g) => g.id, after: (g) => ({ id: g.id, applicationId: id }) });
        }
        const child = { id: newId(), firstName: b.childFirstName, lastName: b.childLastName, dateOfBirth: b.childDateOfBirth, roomId: b.offerRoomId, allergies: null, notes: null, externalId: null, status: 'enrolled' as const };
        const student = await createRecorded(tx, ctx, {
          action: 'student.created',
          targetType: 'student',
          insert: () => people.insertStudent(tx, ctx.tenantId, child),
          dto: (s) => s,
          after: (s) => ({ id: s.id, roomId: s.roomId, applicationId: id }),
        });
        await people.linkGuardian(tx, ctx.tenantId, { studentId: student.id, guardianId, relationship: 'parent', authorizedPickup: true, emergencyContact: true, canViewRecords: true });
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

  return {
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
          const room = await people.lockRoom(tx, ctx.tenantId, roomId);
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

  };
}
export type Offers = ReturnType<typeof createOffers>;
