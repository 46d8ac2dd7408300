import { describe, expect, it } from 'vitest';
import { changeVersioned, UNCHANGED } from '../../src/kernel/versioned-change.js';
import { fakeAudit, fakeTx, ownerCtx } from './fakes.js';

/** The one way to change a versioned record, tested directly: no HTTP, no database. */
describe('changeVersioned', () => {
  const ctx = ownerCtx();
  const row = { id: 'r1', name: 'Old', version: 3 };
  const change = (over: Partial<Parameters<typeof changeVersioned<typeof row, typeof row>>[2]> = {}) => ({
    what: 'Room',
    target: { type: 'room', id: 'r1' },
    ifMatch: undefined as number | undefined,
    lock: async () => ({ ...row }),
    write: async (b: typeof row) => ({ ...b, name: 'New', version: b.version + 1 }),
    audit: (b: typeof row, a: typeof row) => ({ action: 'room.updated', before: b, after: a }),
    ...over,
  });

  it('writes, bumps the version and audits before/after with the actor and the target', async () => {
    const audit = fakeAudit();
    const { before, after } = await changeVersioned(fakeTx, ctx, change({ ifMatch: 3 }), audit);
    expect(before.version).toBe(3);
    expect(after).toMatchObject({ name: 'New', version: 4 });
    expect(audit.rows).toEqual([
      expect.objectContaining({
        tenantId: ctx.tenantId,
        actorUserId: ctx.userId,
        actorMembershipId: ctx.membershipId,
        requestId: 'req-1',
        action: 'room.updated',
        targetType: 'room',
        targetId: 'r1',
        before: { id: 'r1', name: 'Old', version: 3 },
        after: { id: 'r1', name: 'New', version: 4 },
      }),
    ]);
  });

  it('a stale If-Match is 412 before anything is written or audited', async () => {
    const audit = fakeAudit();
    let wrote = false;
    const write = async (b: typeof row) => ((wrote = true), b);
    await expect(changeVersioned(fakeTx, ctx, change({ ifMatch: 2, write }), audit)).rejects.toMatchObject({ code: 'PRECONDITION_FAILED', status: 412 });
    expect(wrote).toBe(false);
    expect(audit.rows).toEqual([]);
  });

  it('another writer winning between lock and write (the compare-and-set finds no row) is 412, not audited', async () => {
    const audit = fakeAudit();
    await expect(changeVersioned(fakeTx, ctx, change({ write: async () => undefined }), audit)).rejects.toMatchObject({ status: 412 });
    expect(audit.rows).toEqual([]);
  });

  it('a missing row is 404 named after the resource, even with a stale If-Match', async () => {
    await expect(changeVersioned(fakeTx, ctx, change({ lock: async () => undefined, ifMatch: 99 }), fakeAudit())).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'Room not found',
    });
  });

  it('visibility is checked before If-Match: a hidden row is 404, never 412', async () => {
    const visible = async () => {
      throw Object.assign(new Error('Room not found'), { code: 'NOT_FOUND' });
    };
    await expect(changeVersioned(fakeTx, ctx, change({ ifMatch: 1, visible }), fakeAudit())).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('UNCHANGED writes nothing, audits nothing and answers the row as it was', async () => {
    const audit = fakeAudit();
    const r = await changeVersioned(fakeTx, ctx, change({ write: async () => UNCHANGED }), audit);
    expect(r).toEqual({ before: row, after: undefined });
    expect(audit.rows).toEqual([]);
  });
});
