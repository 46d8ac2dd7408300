import { describe, expect, it } from 'vitest';
import type { RoomRow } from '../../src/modules/people/rooms.repository.js';
import { createRoomsService, type RoomsRepositories } from '../../src/modules/people/rooms.service.js';
import { fakeAudit, fakeDb, fixedClock, ownerCtx } from './fakes.js';

/** The rooms service with its repositories handed in: its rules tested without HTTP or a database. */
function roomsInMemory() {
  const rows = new Map<string, RoomRow>();
  const repo: RoomsRepositories['rooms'] = {
    async list() {
      return [...rows.values()];
    },
    // The repository's row type says "found"; undefined is what a missing row really is.
    async get(_tx, _t, id) {
      return rows.get(id) as RoomRow;
    },
    async getForUpdate(_tx, _t, id) {
      return rows.get(id) as RoomRow;
    },
    async insert(_tx, tenantId, v) {
      const now = new Date('2026-03-01T00:00:00Z');
      const r = { tenantId, archivedAt: null, createdAt: now, updatedAt: now, version: 1, ...v } as RoomRow;
      rows.set(r.id, r);
      return r;
    },
    async update(_tx, _t, id, changes, expectedVersion, now) {
      const r = rows.get(id);
      if (!r || r.version !== expectedVersion) return undefined as unknown as RoomRow;
      const next = { ...r, ...changes, updatedAt: now, version: r.version + 1 } as RoomRow;
      rows.set(id, next);
      return next;
    },
  };
  return { rows, repo };
}

describe('rooms service', () => {
  const ctx = ownerCtx();
  const setup = () => {
    const store = roomsInMemory();
    const audit = fakeAudit();
    const service = createRoomsService({ db: fakeDb, clock: fixedClock(), repositories: { rooms: store.repo, audit } });
    return { ...store, audit, service };
  };

  it('update: If-Match of the current version changes the room, bumps its version and audits before/after', async () => {
    const { service, audit } = setup();
    const room = await service.create(ctx, { name: 'Joeys', capacity: 8 });
    const updated = await service.update(ctx, room.id, { capacity: 10 }, 1);
    expect(updated).toMatchObject({ capacity: 10, version: 2, updatedAt: '2026-03-09T10:00:00.000Z' });
    expect(audit.rows.map((r) => r.action)).toEqual(['room.created', 'room.updated']);
    expect(audit.rows[1]).toMatchObject({ targetType: 'room', targetId: room.id, before: { capacity: 8, version: 1 }, after: { capacity: 10, version: 2 } });
  });

  it('update: a stale If-Match is 412 and leaves the room and the audit log alone', async () => {
    const { service, audit, rows } = setup();
    const room = await service.create(ctx, { name: 'Joeys', capacity: 8 });
    await service.update(ctx, room.id, { capacity: 9 });
    await expect(service.update(ctx, room.id, { capacity: 12 }, 1)).rejects.toMatchObject({ status: 412 });
    expect(rows.get(room.id)).toMatchObject({ capacity: 9, version: 2 });
    expect(audit.rows.map((r) => r.action)).toEqual(['room.created', 'room.updated']);
  });

  it('an empty patch and a second archive change nothing: no version bump, no audit row', async () => {
    const { service, audit } = setup();
    const room = await service.create(ctx, { name: 'Joeys', capacity: 8 });
    expect(await service.update(ctx, room.id, {})).toMatchObject({ version: 1 });
    await service.archive(ctx, room.id, 1);
    await service.archive(ctx, room.id);
    expect(audit.rows.map((r) => r.action)).toEqual(['room.created', 'room.archived']);
  });

  it('a malformed or unknown id is 404', async () => {
    const { service } = setup();
    await expect(service.update(ctx, 'nope', { capacity: 1 })).rejects.toMatchObject({ status: 404 });
    await expect(service.archive(ctx, '44444444-4444-4444-8444-444444444444')).rejects.toMatchObject({ status: 404 });
  });
});
