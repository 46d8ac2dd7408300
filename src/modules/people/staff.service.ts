import type { Clock } from '../../core/clock.js';
import type { TenantContext } from '../../core/context.js';
import { notFound, unprocessable } from '../../core/errors.js';
import { isUuid, newId } from '../../core/ids.js';
import { auditRepository, type AuditRepository } from '../../db/audit.repository.js';
import { forTenant, type Database, type Tx } from '../../db/db.js';
import { roomsRepository } from './rooms.repository.js';
import { staffRepository, type StaffRow } from './staff.repository.js';
import { iso, requireId, sent, type ListOptions } from '../../kernel/helpers.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { changeVersioned, UNCHANGED } from '../../kernel/versioned-change.js';
import { canonicalEmail } from '../../core/email.js';
import { createRecorded } from '../../kernel/recorded-create.js';

export const staffDto = (s: StaffRow, roomIds: string[]) => ({
  id: s.id,
  firstName: s.firstName,
  lastName: s.lastName,
  email: s.email,
  roomIds,
  archivedAt: iso(s.archivedAt),
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
  version: s.version,
});
export type StaffDto = ReturnType<typeof staffDto>;

export interface StaffInput {
  firstName: string;
  lastName: string;
  email?: string | null;
  /** Replaces the staff member's rooms; none when left out at creation. */
  roomIds?: string[];
}

const normalizeEmail = (e: string | null | undefined) => (e === undefined ? undefined : e === null ? null : canonicalEmail(e));

/** The repositories the staff service works through (a test hands in fakes to aim at one rule). */
export interface StaffRepositories {
  staff: typeof staffRepository;
  rooms: Pick<typeof roomsRepository, 'liveIds'>;
  audit: Pick<AuditRepository, 'append'>;
}

export function createStaffService({
  db,
  clock,
  repositories = { staff: staffRepository, rooms: roomsRepository, audit: auditRepository },
}: {
  db: Pick<Database, 'scoped'>;
  clock: Clock;
  repositories?: StaffRepositories;
}) {
  // The handed-in repositories stand in for the modules' own below.
  const { staff: staffRepository, rooms: roomsRepository, audit: auditRepository } = repositories;
  /** Each room must be a live room of this centre; answers the de-duplicated, sorted list. */
  async function checkRooms(tx: Tx, ctx: TenantContext, roomIds: string[]) {
    const wanted = [...new Set(roomIds.map((r) => r.toLowerCase()))].sort();
    const live = new Set(await roomsRepository.liveIds(tx, ctx.tenantId, wanted.filter(isUuid)));
    const bad = roomIds.map((r, i) => ({ r, i })).filter(({ r }) => !live.has(r.toLowerCase()));
    if (bad.length) throw unprocessable('Unknown room', bad.map(({ i }) => ({ path: `roomIds.${i}`, message: 'is not a room of this centre' })));
    return wanted;
  }
  async function roomsOf(tx: Tx, ctx: TenantContext, id: string) {
    return (await staffRepository.roomIdsFor(tx, ctx.tenantId, [id])).get(id) ?? [];
  }

  return {
    async list(ctx: TenantContext, q: ListOptions & { roomId?: string }) {
      const cursor = decodeUuidCursor(q.cursor);
      return db.scoped(forTenant(ctx), async (tx) => {
        const rows = await staffRepository.list(tx, ctx.tenantId, { cursor, limit: q.limit, includeArchived: q.includeArchived, roomId: q.roomId });
        const rooms = await staffRepository.roomIdsFor(tx, ctx.tenantId, rows.slice(0, q.limit).map((r) => r.id));
        return toPage(rows, q.limit, (r) => staffDto(r, rooms.get(r.id) ?? []), (r) => r.id);
      });
    },

    async get(ctx: TenantContext, rawId: string) {
      const id = requireId(rawId, 'Staff member');
      return db.scoped(forTenant(ctx), async (tx) => {
        const row = await staffRepository.get(tx, ctx.tenantId, id);
        if (!row) throw notFound('Staff member');
        return staffDto(row, await roomsOf(tx, ctx, id));
      });
    },

    async create(ctx: TenantContext, input: StaffInput) {
      return db.scoped(forTenant(ctx), async (tx) => {
        const roomIds = await checkRooms(tx, ctx, input.roomIds ?? []);
        return createRecorded(tx, ctx, {
          action: 'staff.created',
          targetType: 'staff',
          async insert() {
            const row = await staffRepository.insert(tx, ctx.tenantId, { id: newId(), firstName: input.firstName, lastName: input.lastName, email: normalizeEmail(input.email) ?? null });
            await staffRepository.setRooms(tx, ctx.tenantId, row.id, roomIds);
            return row;
          },
          dto: (row) => staffDto(row, roomIds),
        }, auditRepository);
      });
    },

    async update(ctx: TenantContext, rawId: string, patch: Partial<StaffInput>, ifMatch?: number) {
      const id = requireId(rawId, 'Staff member');
      const { roomIds: newRooms, ...fields } = sent({ ...patch, email: normalizeEmail(patch.email) });
      return db.scoped(forTenant(ctx), async (tx) => {
        let beforeRooms: string[] = [];
        let roomIds: string[] = [];
        const { before, after } = await changeVersioned(tx, ctx, {
          what: 'Staff member',
          target: { type: 'staff', id },
          ifMatch,
          lock: () => staffRepository.getForUpdate(tx, ctx.tenantId, id),
          async write(b) {
            roomIds = beforeRooms = await roomsOf(tx, ctx, id);
            if (!Object.keys(fields).length && newRooms === undefined) return UNCHANGED;
            if (newRooms !== undefined) {
              roomIds = await checkRooms(tx, ctx, newRooms);
              await staffRepository.setRooms(tx, ctx.tenantId, id, roomIds);
            }
            // The version moves even when only the rooms changed: they are part of the resource.
            return staffRepository.update(tx, ctx.tenantId, id, fields, b.version, clock.now());
          },
          audit: (b, a) => ({ action: 'staff.updated', before: staffDto(b, beforeRooms), after: staffDto(a, roomIds) }),
        }, auditRepository);
        return after ? staffDto(after, roomIds) : staffDto(before, beforeRooms);
      });
    },

    async archive(ctx: TenantContext, rawId: string, ifMatch?: number) {
      const id = requireId(rawId, 'Staff member');
      await db.scoped(forTenant(ctx), async (tx) => {
        let rooms: string[] = [];
        await changeVersioned(tx, ctx, {
          what: 'Staff member',
          target: { type: 'staff', id },
          ifMatch,
          lock: () => staffRepository.getForUpdate(tx, ctx.tenantId, id),
          async write(b) {
            if (b.archivedAt) return UNCHANGED;
            rooms = await roomsOf(tx, ctx, id);
            return staffRepository.update(tx, ctx.tenantId, id, { archivedAt: clock.now() }, b.version, clock.now());
          },
          audit: (b, a) => ({ action: 'staff.archived', before: staffDto(b, rooms), after: staffDto(a, rooms) }),
        }, auditRepository);
      });
    },
  };
}
export type StaffService = ReturnType<typeof createStaffService>;
