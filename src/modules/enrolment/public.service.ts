import type { Clock } from '../../core/clock.js';
import type { Actor, RequestMeta, TenantContext } from '../../core/context.js';
import { conflict, notFound, unauthenticated } from '../../core/errors.js';
import type { RateLimiter } from '../../core/rate-limits.js';
import { newId } from '../../core/ids.js';
import { enrolmentSecretMatches, newEnrolmentToken, parseEnrolmentToken } from '../../core/security/enrolment-tokens.js';
import { forTenant, type Database } from '../../db/db.js';
import { applicationFormsRepository, type ApplicationFormRow } from './enrolment-forms.repository.js';
import { applicationsRepository } from './enrolment.repository.js';
import type { PeopleForEnrolment } from '../people/index.js';
import { tenantsRepository } from '../../db/tenancy.repository.js';
import { requireId } from '../../kernel/helpers.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { changeVersioned } from '../../kernel/versioned-change.js';
import { effectiveStatus } from './applications.dto.js';
import type { ApplicationInput, EnrolmentService } from './enrolment.service.js';
import type { Notify } from './notify-port.js';
import { createRecorded } from '../../kernel/recorded-create.js';

/** A form's request on /public/applications: the centre and the form its Bearer token names. */
export interface PublicFormContext extends RequestMeta {
  tenantId: string;
  formId: string;
}

export const formDto = (f: ApplicationFormRow) => ({
  id: f.id,
  name: f.name,
  createdAt: f.createdAt.toISOString(),
  updatedAt: f.updatedAt.toISOString(),
  version: f.version,
});

export interface PublicEnrolmentDeps {
  db: Database;
  clock: Clock;
  limits: RateLimiter;
  notify: Notify;
  enrolment: Pick<EnrolmentService, 'createIn' | 'accept' | 'decline'>;
  /** The form's and the offer's rooms (people's index.ts). */
  people: Pick<PeopleForEnrolment, 'room' | 'liveRoomIds'>;
}

/**
 * The public side of enrolment (CONTRACT §5 "Enrolment"): application forms (owners/admins), the form a family fills
 * in without an account, and the offer link from the offer.made email. Hostile input: tokens are 256-bit secrets
 * stored as hashes and compared in constant time; every unknown or dead token gets the same answer.
 */
export function createPublicEnrolmentService({ db, clock, limits, notify, enrolment, people }: PublicEnrolmentDeps) {
  const actorOf = (meta: RequestMeta, tenantId: string): Actor & { roles: string[] } => ({
    requestId: meta.requestId,
    tenantId,
    userId: null,
    membershipId: null,
    email: null,
    guardianOnly: false,
    ip: meta.ip,
    userAgent: meta.userAgent,
    roles: [],
  });

  /** The offer a token names: its application, if the token is live (unused, its hash stored) — else 404. */
  async function offerFor(token: string) {
    const parsed = parseEnrolmentToken('offer', token);
    if (!parsed) throw notFound('Offer');
    const app = await db.scoped(forTenant(parsed.tenantId), (tx) => applicationsRepository.getForUpdate(tx, parsed.tenantId, parsed.id));
    if (!app || !enrolmentSecretMatches(parsed.secret, app.offerTokenHash) || app.offerTokenUsedAt) throw notFound('Offer');
    // Expired, or no longer an offer (withdrawn meanwhile): the token is dead but the family learns why.
    const status = effectiveStatus(app, clock.now());
    if (status === 'expired') throw conflict('This offer has expired');
    if (status !== 'offered') throw notFound('Offer');
    return { tenantId: parsed.tenantId, app };
  }

  /** Reserves one of the IP's submissions for this form this hour before any work (pitfall 17: count first). */
  async function limitSubmissions(form: PublicFormContext) {
    await limits.consume('public-form', `${form.formId}:${form.ip ?? 'unknown'}`);
  }

  return {
    async createForm(ctx: TenantContext, input: { name: string }) {
      return db.scoped(forTenant(ctx), async (tx) => {
        const id = newId();
        const { token, hash } = newEnrolmentToken('form', ctx.tenantId, id);
        const dto = await createRecorded(tx, ctx, {
          action: 'application_form.created',
          targetType: 'application_form',
          insert: () => applicationFormsRepository.insert(tx, { id, tenantId: ctx.tenantId, name: input.name, tokenHash: hash, createdByMembershipId: ctx.membershipId }),
          dto: formDto,
        });
        return { ...dto, token };
      });
    },

    async listForms(ctx: TenantContext, q: { limit: number; cursor?: string }) {
      const cursor = decodeUuidCursor(q.cursor);
      const rows = await db.scoped(forTenant(ctx), (tx) => applicationFormsRepository.listLive(tx, ctx.tenantId, { cursor, limit: q.limit }));
      return toPage(rows, q.limit, formDto, (r) => r.id);
    },

    /** Deletes the form: its token stops working on the next request (every submission reads the form's row). */
    async deleteForm(ctx: TenantContext, rawId: string, ifMatch?: number) {
      const id = requireId(rawId, 'Application form');
      await db.scoped(forTenant(ctx), (tx) =>
        changeVersioned(tx, ctx, {
          what: 'Application form',
          target: { type: 'application_form', id },
          ifMatch,
          lock: () => applicationFormsRepository.getForUpdate(tx, ctx.tenantId, id),
          write: (b) => applicationFormsRepository.delete(tx, ctx.tenantId, id, b.version, clock.now()),
          audit: (b, a) => ({ action: 'application_form.deleted', before: formDto(b), after: { ...formDto(a), deletedAt: a.deletedAt?.toISOString() } }),
        }),
      );
    },

    /** The form a Bearer token names: a live form whose secret matches, else 401 (the same for every failure). */
    async authenticateForm(token: string, meta: RequestMeta): Promise<PublicFormContext> {
      const parsed = parseEnrolmentToken('form', token);
      if (!parsed) throw unauthenticated('A valid application form token is required');
      const row = await db.scoped(forTenant(parsed.tenantId), (tx) => applicationFormsRepository.getLive(tx, parsed.tenantId, parsed.id));
      if (!row || !enrolmentSecretMatches(parsed.secret, row.tokenHash)) throw unauthenticated('A valid application form token is required');
      return { ...meta, tenantId: row.tenantId, formId: row.id };
    },

    /**
     * A family's application through the form. The answer is the same whether or not the child is known (a duplicate
     * is stored with possibleDuplicateOfId, seen by staff only); the priority fields are not taken from the public.
     */
    async submit(form: PublicFormContext, input: Omit<ApplicationInput, 'staffChild' | 'siblingStudentId'>) {
      await limitSubmissions(form);
      const actor = actorOf(form, form.tenantId);
      await db.scoped(forTenant(form.tenantId), async (tx) => {
        // A room that is not the centre's is dropped, not reported: the public learns nothing about the centre's ids.
        const roomId = input.roomId ? ((await people.liveRoomIds(tx, form.tenantId, [input.roomId.toLowerCase()]))[0] ?? null) : null;
        const row = await enrolment.createIn(tx, actor, { ...input, roomId, staffChild: false, siblingStudentId: null }, { source: 'public', formId: form.formId });
        await notify(tx, form.tenantId, {
          type: 'application.received',
          subject: { type: 'application', id: row.id },
          recipients: { emails: [row.guardianEmail] },
          data: { childFirstName: row.childFirstName },
        });
      });
      return { status: 'received' as const };
    },

    async lookupOffer(token: string) {
      const { tenantId, app } = await offerFor(token);
      return db.scoped(forTenant(tenantId), async (tx) => {
        const tenant = await tenantsRepository.get(tx, tenantId);
        const room = await people.room(tx, tenantId, app.offerRoomId!);
        return { childFirstName: app.childFirstName, centreName: tenant?.name ?? '', roomName: room?.name ?? '', startDate: app.offerStartDate!, expiresAt: app.offerExpiresAt!.toISOString() };
      });
    },

    /** The family's answer through the link: accepting does exactly what staff accept does. */
    async respondToOffer(meta: RequestMeta, input: { token: string; decision: 'accept' | 'decline'; returnToWaitlist?: boolean }) {
      const { tenantId, app } = await offerFor(input.token);
      const actor = actorOf(meta, tenantId);
      const result =
        input.decision === 'accept' ? (await enrolment.accept(actor, app.id)).application : await enrolment.decline(actor, app.id, input.returnToWaitlist ?? false);
      return { status: result.status };
    },
  };
}
export type PublicEnrolmentService = ReturnType<typeof createPublicEnrolmentService>;
