import type { Clock } from '../../core/clock.js';
import type { TenantContext } from '../../core/context.js';
import { notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { AgeGroup } from '../../models/enums.js';
import { auditRepository, type AuditRepository } from '../../db/audit.repository.js';
import { forTenant, type Database } from '../../db/db.js';
import { roomsRepository, type RoomRow } from './rooms.repository.js';
import { access } from '../../auth/access.js';
import { iso, requireId, sent, type ListOptions } from '../../kernel/helpers.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { changeVersioned, UNCHANGED } from '../../kernel/versioned-change.js';
import { createRecorded } from '../../kernel/recorded-create.js';


export const roomDto = (r: RoomRow) => ({
  id: r.id,
  name: r.name,
  capacity: r.capacity,
  ageGroup: r.ageGroup,
  ratio: r.ratio,
  archivedAt: iso(r.archivedAt),
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  version: r.version,
});
export type RoomDto = ReturnType<typeof roomDto>;

export interface RoomInput {
  name: string;
  capacity: number;
  ageGroup?: AgeGroup | null;
  ratio?: number | null;
}

/** The repositories the rooms service writes through (a test hands in fakes to aim at one rule). */
export interface RoomsRepositories {
  rooms: Pick<typeof roomsRepository, 'list' | 'get' | 'getForUpdate' | 'insert' | 'update'>;
  audit: Pick<AuditRepository, 'append'>;
}

export function createRoomsService({
  db,
  clock,
  repositories = { rooms: roomsRepository, audit: auditRepository },
}: {
  db: Pick<Database, 'scoped'>;
  clock: Clock;
  repositories?: RoomsRepositories;
}) {
  const { rooms: roomsRepo, audit } = repositories;
  return {
    async list(ctx: TenantContext, q: ListOptions) {
      const cursor = decodeUuidCursor(q.cursor);
      const rows = await db.scoped(forTenant(ctx), async (tx) => {
        const visible = await access.visibleRoomIds(tx, ctx);
        if (visible && !visible.length) return [];
        return roomsRepo.list(tx, ctx.tenantId, { cursor, limit: q.limit, includeArchived: q.includeArchived, ids: visible ?? undefined });
      });
      return toPage(rows, q.limit, roomDto, (r) => r.id);
    },

    async get(ctx: TenantContext, rawId: string) {
      const id = requireId(rawId, 'Room');
      return db.scoped(forTenant(ctx), async (tx) => {
        const row = await roomsRepo.get(tx, ctx.tenantId, id);
        if (!row) throw notFound('Room');
        await access.assertRoomVisible(tx, ctx, id);
        return roomDto(row);
      });
    },

    async create(ctx: TenantContext, input: RoomInput) {
      return db.scoped(forTenant(ctx), (tx) =>
        createRecorded(tx, ctx, {
          action: 'room.created',
          targetType: 'room',
          insert: () => roomsRepo.insert(tx, ctx.tenantId, { id: newId(), name: input.name, capacity: input.capacity, ageGroup: input.ageGroup ?? null, ratio: input.ratio ?? null }),
          dto: roomDto,
        }, audit),
      );
    },

    async update(ctx: TenantContext, rawId: string, patch: Partial<RoomInput>, ifMatch?: number) {
      const id = requireId(rawId, 'Room');
      const changes = sent(patch);
      return db.scoped(forTenant(ctx), async (tx) => {
        const { before, after } = await changeVersioned(tx, ctx, {
          what: 'Room',
          target: { type: 'room', id },
          ifMatch,
          lock: () => roomsRepo.getForUpdate(tx, ctx.tenantId, id),
          write: async (b) => (Object.keys(changes).length ? roomsRepo.update(tx, ctx.tenantId, id, changes, b.version, clock.now()) : UNCHANGED),
          audit: (b, a) => ({ action: 'room.updated', before: roomDto(b), after: roomDto(a) }),
        }, audit);
        return roomDto(after ?? before);
      });
    },

    /** Archives (the room and its history stay; lists hide it). Archiving twice changes nothing. */
    async archive(ctx: TenantContext, rawId: string, ifMatch?: number) {
      const id = requireId(rawId, 'Room');
      await db.scoped(forTenant(ctx), (tx) =>
        changeVersioned(tx, ctx, {
          what: 'Room',
          target: { type: 'room', id },
          ifMatch,
          lock: () => roomsRepo.getForUpdate(tx, ctx.tenantId, id),
          write: async (b) => (b.archivedAt ? UNCHANGED : roomsRepo.update(tx, ctx.tenantId, id, { archivedAt: clock.now() }, b.version, clock.now())),
          audit: (b, a) => ({ action: 'room.archived', before: roomDto(b), after: roomDto(a) }),
        }, audit),
      );
    },
  };
}
export type RoomsService = ReturnType<typeof createRoomsService>;
