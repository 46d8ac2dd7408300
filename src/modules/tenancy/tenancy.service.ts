import type { RequestContext, TenantContext } from '../../core/context.js';
import { conflict, forbidden, notFound, unprocessable } from '../../core/errors.js';
import { isUuid, newId } from '../../core/ids.js';
import { ENTITLEMENTS, type Permission, type Role } from '../../core/security/permissions.js';
import { isValidTimeZone } from '../../core/time.js';
import { auditActor, auditRepository } from '../../db/audit.repository.js';
import { forTenant, pgConstraint, type Database, type Tx } from '../../db/db.js';
import { membershipsRepository, tenantsRepository, type MembershipRow, type TenantRow } from '../../db/tenancy.repository.js';
import type { Authenticator } from '../../auth/authenticator.js';
import { decodeNumberCursor, decodeUuidCursor, toPage } from '../../core/pagination.js';
import { changeVersioned } from '../../kernel/versioned-change.js';
import { canonicalEmail } from '../../core/email.js';
import type { Notify } from '../../kernel/notify-port.js';

export const tenantDto = (t: TenantRow) => ({
  id: t.id,
  name: t.name,
  timezone: t.timezone,
  closingTime: t.closingTime,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
  version: t.version,
});
export type TenantDto = ReturnType<typeof tenantDto>;
export const membershipDto = (m: MembershipRow) => ({
  id: m.id,
  tenantId: m.tenantId,
  userId: m.userId,
  email: m.email,
  roles: m.roles,
  entitlements: m.entitlements,
  status: m.status,
  createdAt: m.createdAt.toISOString(),
  updatedAt: m.updatedAt.toISOString(),
  version: m.version,
});
export type MembershipDto = ReturnType<typeof membershipDto>;

/** Who may send an invitation: a member, or an accepted offer's link (no user: CONTRACT §5 "Enrolment"). */
export type InviterContext = Pick<RequestContext, 'requestId' | 'ip' | 'userAgent'> & { tenantId: string; userId: string | null; membershipId: string | null; roles: readonly string[] };

/**
 * A settings section another capability keeps in its own table and shows under its key of GET/PATCH /tenant
 * (`waitlist`, `billing`, `notifications`): read and written inside the tenant's own transaction, so a GET is one
 * transaction and a PATCH naming several sections changes everything or nothing.
 */
export interface TenantSettingsSection<T = unknown> {
  key: string;
  /** The value's type, checked before anything is written (a bad value → 400 VALIDATION_ERROR). */
  schema: { parse(value: unknown): T };
  /** Shown (GET and PATCH answers) only to members with this permission; default: to every reader of the centre. */
  readPermission?: Permission;
  /** Changed only by members with this permission as well (a PATCH naming it without → 403 `denied` before anything changes). */
  writePermission?: { permission: Permission; denied: string };
  /**
   * Part of the tenant record: writing it bumps the tenant's version and honours If-Match (`waitlist`). Otherwise the
   * section is its own record (`billing`, `notifications`): a PATCH naming only such sections leaves the tenant row as it is.
   */
  versioned: boolean;
  read(tx: Tx, tenantId: string): Promise<unknown>;
  write(tx: Tx, ctx: TenantContext, value: T): Promise<unknown>;
}
/** A section with its value type inferred from its schema (the list holds them as TenantSettingsSection<unknown>). */
export const settingsSection = <T>(s: TenantSettingsSection<T>) => s as unknown as TenantSettingsSection;

interface Deps {
  db: Database;
  sections?: () => readonly TenantSettingsSection[];
  authenticator: Pick<Authenticator, 'bumpEntitlementsVersion' | 'forgetMembership' | 'limitTenantCreation' | 'limitInvitations'>;
  notify?: Notify;
}

export function createTenancyService({ db, authenticator: auth, sections = () => [], notify = async () => {} }: Deps) {
  /** The tenant and the sections this member may read (or has just written: `written` holds what each write answered). */
  async function withSections(tx: Tx, ctx: TenantContext, t: TenantRow, written: Record<string, unknown> = {}) {
    const extra: Record<string, unknown> = {};
    for (const s of sections()) {
      if (s.key in written) extra[s.key] = written[s.key];
      else if (!s.readPermission || ctx.permissions.includes(s.readPermission)) extra[s.key] = await s.read(tx, t.id);
    }
    return { ...tenantDto(t), ...extra };
  }
  /** Rules that involve owners: only owners grant or remove `owner`, and a centre keeps at least one active owner. */
  async function guardOwners(tx: Tx, ctx: TenantContext, before: MembershipRow, after: { roles: string[]; status: string } | null) {
    const touchesOwner = before.roles.includes('owner') || (after?.roles.includes('owner') ?? false);
    if (touchesOwner && !ctx.roles.includes('owner')) throw forbidden('Only an owner can grant or remove the owner role');
    const wasActiveOwner = before.roles.includes('owner') && before.status === 'active';
    const staysActiveOwner = !!after && after.roles.includes('owner') && after.status === 'active';
    if (wasActiveOwner && !staysActiveOwner) {
      const owners = await membershipsRepository.lockActiveOwners(tx, ctx.tenantId);
      if (owners.filter((o) => o.id !== before.id).length === 0) throw conflict('A centre must keep at least one active owner');
    }
  }

  return {
    async createTenant(ctx: RequestContext, input: { name: string; timezone: string }) {
      if (!isValidTimeZone(input.timezone)) throw unprocessable('Unknown time zone', [{ path: 'timezone', message: 'use an IANA zone such as Europe/London' }]);
      await auth.limitTenantCreation(ctx.userId);
      const tenantId = newId();
      return db.scoped(forTenant(tenantId), async (tx) => {
        const tenant = await tenantsRepository.insert(tx, { id: tenantId, name: input.name, timezone: input.timezone });
        const membership = await membershipsRepository.insert(tx, {
          id: newId(),
          tenantId,
          userId: ctx.userId,
          email: ctx.email,
          roles: ['owner'],
          entitlements: [...ENTITLEMENTS],
          status: 'active',
        });
        const a = { ...auditActor(ctx), actorMembershipId: membership.id, tenantId };
        await auditRepository.append(tx, { ...a, action: 'tenant.created', targetType: 'tenant', targetId: tenantId, after: tenantDto(tenant) });
        await auditRepository.append(tx, { ...a, action: 'membership.created', targetType: 'membership', targetId: membership.id, after: { roles: membership.roles, entitlements: membership.entitlements, status: 'active' } });
        return { tenant: tenantDto(tenant), membership: membershipDto(membership) };
      });
    },

    async getTenant(ctx: TenantContext) {
      return db.scoped(forTenant(ctx), async (tx) => {
        const t = await tenantsRepository.get(tx, ctx.tenantId);
        if (!t) throw notFound('Tenant');
        return withSections(tx, ctx, t);
      });
    },

    /**
     * PATCH /tenant: the tenant's own fields and any settings sections, in one transaction. Every section named is
     * permission-checked (403) and type-checked (400) before anything is written. The tenant row changes (version, If-Match,
     * `tenant.updated`) when the PATCH names one of its fields or a versioned section, or names nothing at all.
     */
    async updateTenant(ctx: TenantContext, input: { name?: string; timezone?: string; closingTime?: string } & Record<string, unknown>, ifMatch?: number) {
      const own = sections();
      const named = own.filter((s) => input[s.key] !== undefined);
      for (const s of named) if (s.writePermission && !ctx.permissions.includes(s.writePermission.permission)) throw forbidden(s.writePermission.denied);
      const values = named.map((s) => ({ s, value: s.schema.parse(input[s.key]) }));
      const patch = Object.fromEntries(Object.entries(input).filter(([k]) => !own.some((s) => s.key === k))) as { name?: string; timezone?: string; closingTime?: string };
      if (patch.timezone !== undefined && !isValidTimeZone(patch.timezone))
        throw unprocessable('Unknown time zone', [{ path: 'timezone', message: 'use an IANA zone such as Europe/London' }]);
      const tenantChange = Object.keys(patch).length > 0 || named.length === 0 || named.some((s) => s.versioned);
      return db.scoped(forTenant(ctx), async (tx) => {
        const written: Record<string, unknown> = {};
        const writeSections = async () => {
          for (const { s, value } of values) written[s.key] = await s.write(tx, ctx, value);
        };
        if (!tenantChange) {
          const t = await tenantsRepository.get(tx, ctx.tenantId);
          if (!t) throw notFound('Tenant');
          await writeSections();
          return withSections(tx, ctx, t, written);
        }
        const { after } = await changeVersioned(tx, ctx, {
          what: 'Tenant',
          target: { type: 'tenant', id: ctx.tenantId },
          ifMatch,
          lock: () => tenantsRepository.get(tx, ctx.tenantId),
          write: async (b) => {
            await writeSections();
            return tenantsRepository.update(tx, ctx.tenantId, patch, b.version);
          },
          audit: (b, a) => ({ action: 'tenant.updated', before: tenantDto(b), after: tenantDto(a) }),
        });
        return withSections(tx, ctx, after!, written);
      });
    },

    async listMemberships(ctx: TenantContext, q: { limit: number; cursor?: string }) {
      const cursor = decodeUuidCursor(q.cursor);
      const rows = await db.scoped(forTenant(ctx), (tx) => membershipsRepository.list(tx, ctx.tenantId, { cursor, limit: q.limit }));
      return toPage(rows, q.limit, membershipDto, (r) => r.id);
    },

    async invite(ctx: InviterContext, input: { email: string; roles: Role[]; entitlements?: string[] }) {
      if (input.roles.includes('owner') && !ctx.roles.includes('owner')) throw forbidden('Only an owner can grant the owner role');
      const email = canonicalEmail(input.email);
      await auth.limitInvitations(ctx.tenantId);
      try {
        return await db.scoped(forTenant(ctx), async (tx) => {
          const m = await membershipsRepository.insert(tx, {
            id: newId(),
            tenantId: ctx.tenantId,
            email,
            roles: [...new Set(input.roles)],
            entitlements: [...new Set(input.entitlements ?? ENTITLEMENTS)],
            status: 'invited',
            invitedByUserId: ctx.userId,
          });
          await auditRepository.append(tx, { ...auditActor(ctx), tenantId: ctx.tenantId, action: 'membership.invited', targetType: 'membership', targetId: m.id, after: membershipDto(m) });
          // membership.invited: an email to the invited address, linking APP_URL?invitationId=<id>.
          await notify(tx, ctx.tenantId, { type: 'membership.invited', subject: { type: 'membership', id: m.id }, recipients: { emails: [email] }, data: {} });
          return membershipDto(m);
        });
      } catch (e) {
        if (pgConstraint(e) === 'memberships_tenant_email_key') throw conflict('This email already has a membership in this centre');
        throw e;
      }
    },

    async updateMembership(ctx: TenantContext, id: string, patch: { roles?: Role[]; entitlements?: string[]; status?: 'active' | 'suspended' }, ifMatch?: number) {
      if (!isUuid(id)) throw notFound('Membership');
      const updated = await db.scoped(forTenant(ctx), async (tx) => {
        const { before, after: changed } = await changeVersioned(tx, ctx, {
          what: 'Membership',
          target: { type: 'membership', id },
          ifMatch,
          lock: () => membershipsRepository.get(tx, ctx.tenantId, id),
          async write(b) {
            if (patch.status === 'active' && b.status === 'invited') throw unprocessable('An invitation becomes active when its email accepts it');
            const next = {
              roles: patch.roles ? [...new Set(patch.roles)] : b.roles,
              status: patch.status && b.status !== 'invited' ? patch.status : b.status,
            };
            await guardOwners(tx, ctx, b, next);
            return membershipsRepository.update(
              tx,
              ctx.tenantId,
              id,
              { roles: next.roles, status: next.status as MembershipRow['status'], ...(patch.entitlements ? { entitlements: [...new Set(patch.entitlements)] } : {}) },
              b.version,
            );
          },
          audit: (b, a) => ({
            action: patch.status && patch.status !== b.status ? (patch.status === 'suspended' ? 'membership.suspended' : 'membership.reactivated') : 'membership.updated',
            before: membershipDto(b),
            after: membershipDto(a),
          }),
        });
        const after = changed!;
        if (patch.roles && patch.roles.join() !== before.roles.join())
          await auditRepository.append(tx, { ...auditActor(ctx), tenantId: ctx.tenantId, action: 'role.assigned', targetType: 'membership', targetId: id, before: { roles: before.roles }, after: { roles: after.roles } });
        return after;
      });
      // After commit: the member's next request recomputes permissions.
      await auth.bumpEntitlementsVersion(updated.id, updated.version);
      return membershipDto(updated);
    },

    async removeMembership(ctx: TenantContext, id: string, ifMatch?: number) {
      if (!isUuid(id)) throw notFound('Membership');
      await db.scoped(forTenant(ctx), (tx) =>
        changeVersioned(tx, ctx, {
          what: 'Membership',
          target: { type: 'membership', id },
          ifMatch,
          lock: () => membershipsRepository.get(tx, ctx.tenantId, id),
          async write(b) {
            if (b.roles.includes('owner') && !ctx.roles.includes('owner')) throw forbidden('Only an owner can remove an owner');
            await guardOwners(tx, ctx, b, null);
            await membershipsRepository.delete(tx, ctx.tenantId, id);
            return b;
          },
          // A removal: the audit row keeps only the before image.
          audit: (b) => ({ action: 'membership.removed', before: membershipDto(b) }),
        }),
      );
      await auth.forgetMembership(id);
    },

    async listAudit(ctx: TenantContext, q: { action?: string; cursor?: string; limit: number }) {
      const cursor = decodeNumberCursor(q.cursor);
      const rows = await db.scoped(forTenant(ctx), (tx) => auditRepository.list(tx, ctx.tenantId, { action: q.action, cursor, limit: q.limit }));
      return toPage(
        rows,
        q.limit,
        (r) => ({
          id: String(r.id),
          action: r.action,
          actorUserId: r.actorUserId,
          actorMembershipId: r.actorMembershipId,
          targetType: r.targetType,
          targetId: r.targetId,
          before: r.before,
          after: r.after,
          ip: r.ip,
          userAgent: r.userAgent,
          requestId: r.requestId,
          createdAt: r.createdAt.toISOString(),
        }),
        (r) => r.id,
      );
    },
  };
}
export type TenancyService = ReturnType<typeof createTenancyService>;
