import type { Clock } from '../../core/clock.js';
import type { TenantContext } from '../../core/context.js';
import { notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { auditRepository, type AuditRepository } from '../../db/audit.repository.js';
import { forTenant, type Database, type Tx } from '../../db/db.js';
import { guardiansRepository, type GuardianRow } from './guardians.repository.js';
import { access } from '../../auth/access.js';
import { iso, requireId, sent, type ListOptions } from '../../kernel/helpers.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { changeVersioned, UNCHANGED } from '../../kernel/versioned-change.js';
import { canonicalEmail } from '../../core/email.js';
import { createRecorded } from '../../kernel/recorded-create.js';

export const guardianDto = (g: GuardianRow) => ({
  id: g.id,
  firstName: g.firstName,
  lastName: g.lastName,
  email: g.email,
  phone: g.phone,
  archivedAt: iso(g.archivedAt),
  createdAt: g.createdAt.toISOString(),
  updatedAt: g.updatedAt.toISOString(),
  version: g.version,
});
export type GuardianDto = ReturnType<typeof guardianDto>;

export interface GuardianInput {
  firstName: string;
  lastName: string;
  email?: string | null;
  phone?: string | null;
}

/** Emails are stored lower-cased: a guardian record whose email matches a guardian member is that member's record. */
const normalizeEmail = (e: string | null | undefined) => (e === undefined ? undefined : e === null ? null : canonicalEmail(e));

/** The repositories the guardians service works through (a test hands in fakes to aim at one rule). */
export interface GuardiansRepositories {
  guardians: typeof guardiansRepository;
  audit: Pick<AuditRepository, 'append'>;
}

export function createGuardiansService({
  db,
  clock,
  repositories = { guardians: guardiansRepository, audit: auditRepository },
}: {
  db: Pick<Database, 'scoped'>;
  clock: Clock;
  repositories?: GuardiansRepositories;
}) {
  // The handed-in repositories stand in for the modules' own below.
  const { guardians: guardiansRepository, audit: auditRepository } = repositories;
  /** A guardian-only member sees only their own guardian record(s); staff see all. */
  async function ownIds(tx: Tx, ctx: TenantContext): Promise<string[] | null> {
    return ctx.guardianOnly ? access.guardianIds(tx, ctx) : null;
  }

  return {
    async list(ctx: TenantContext, q: ListOptions) {
      const cursor = decodeUuidCursor(q.cursor);
      const rows = await db.scoped(forTenant(ctx), async (tx) => {
        const own = await ownIds(tx, ctx);
        if (own && !own.length) return [];
        return guardiansRepository.list(tx, ctx.tenantId, { cursor, limit: q.limit, includeArchived: q.includeArchived, ids: own ?? undefined });
      });
      return toPage(rows, q.limit, guardianDto, (r) => r.id);
    },

    async get(ctx: TenantContext, rawId: string) {
      const id = requireId(rawId, 'Guardian');
      return db.scoped(forTenant(ctx), async (tx) => {
        const row = await guardiansRepository.get(tx, ctx.tenantId, id);
        if (!row) throw notFound('Guardian');
        const own = await ownIds(tx, ctx);
        if (own && !own.includes(id)) throw notFound('Guardian');
        return guardianDto(row);
      });
    },

    async create(ctx: TenantContext, input: GuardianInput) {
      return db.scoped(forTenant(ctx), (tx) =>
        createRecorded(tx, ctx, {
          action: 'guardian.created',
          targetType: 'guardian',
          insert: () =>
            guardiansRepository.insert(tx, ctx.tenantId, { id: newId(), firstName: input.firstName, lastName: input.lastName, email: normalizeEmail(input.email) ?? null, phone: input.phone ?? null }),
          dto: guardianDto,
        }, auditRepository),
      );
    },

    async update(ctx: TenantContext, rawId: string, patch: Partial<GuardianInput>, ifMatch?: number) {
      const id = requireId(rawId, 'Guardian');
      const changes = sent({ ...patch, email: normalizeEmail(patch.email) });
      return db.scoped(forTenant(ctx), async (tx) => {
        const { before, after } = await changeVersioned(tx, ctx, {
          what: 'Guardian',
          target: { type: 'guardian', id },
          ifMatch,
          lock: () => guardiansRepository.getForUpdate(tx, ctx.tenantId, id),
          write: async (b) => (Object.keys(changes).length ? guardiansRepository.update(tx, ctx.tenantId, id, changes, b.version, clock.now()) : UNCHANGED),
          audit: (b, a) => ({ action: 'guardian.updated', before: guardianDto(b), after: guardianDto(a) }),
        }, auditRepository);
        return guardianDto(after ?? before);
      });
    },

    /** Archives the record; links to children are kept (attendance history names the guardian). */
    async archive(ctx: TenantContext, rawId: string, ifMatch?: number) {
      const id = requireId(rawId, 'Guardian');
      await db.scoped(forTenant(ctx), (tx) =>
        changeVersioned(tx, ctx, {
          what: 'Guardian',
          target: { type: 'guardian', id },
          ifMatch,
          lock: () => guardiansRepository.getForUpdate(tx, ctx.tenantId, id),
          write: async (b) => {
            if (b.archivedAt) return UNCHANGED;
            // A removed adult's kiosk PIN stops working at once.
            await guardiansRepository.clearPin(tx, ctx.tenantId, id, clock.now());
            return guardiansRepository.update(tx, ctx.tenantId, id, { archivedAt: clock.now() }, b.version, clock.now());
          },
          audit: (b, a) => ({ action: 'guardian.archived', before: guardianDto(b), after: guardianDto(a) }),
        }, auditRepository),
      );
    },
  };
}
export type GuardiansService = ReturnType<typeof createGuardiansService>;
