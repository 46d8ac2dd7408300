import { describe, expect, it } from 'vitest';
import { fixtures, useServer } from '../factories/index.js';
import { newTenant } from '../helpers/server.js';

describe('attendance under concurrency', () => {
  const srv = useServer();

  it('20 parallel check-ins of one child: exactly one 201, the rest 409, no 5xx', async () => {
    const { owner, tenant } = await newTenant(srv);
    const fx = fixtures(srv, tenant.id);
    const room = await fx.room({ capacity: 30 });
    const child = await fx.student({ roomId: room.id });
    const results = await Promise.all(Array.from({ length: 20 }, () => owner.post('/attendance/check-in', { studentId: child.id })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const r of results) if (r.status === 409) expect(r.body.error.code).toBe('CONFLICT');
    const list = await owner.get(`/attendance?studentId=${child.id}`);
    expect(list.body.items).toHaveLength(1);
  });

  it('20 parallel check-ins of one child without a room still yield one record (the unique index decides)', async () => {
    const { owner, tenant } = await newTenant(srv);
    const child = await fixtures(srv, tenant.id).student();
    const results = await Promise.all(Array.from({ length: 20 }, () => owner.post('/attendance/check-in', { studentId: child.id })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(19);
    expect((await owner.get(`/attendance?studentId=${child.id}`)).body.items).toHaveLength(1);
  });

  it('parallel check-ins of different children never overfill a room', async () => {
    const { owner, tenant } = await newTenant(srv);
    const fx = fixtures(srv, tenant.id);
    const room = await fx.room({ capacity: 3 });
    const kids = await Promise.all(Array.from({ length: 8 }, () => fx.student({ roomId: room.id })));
    const results = await Promise.all(kids.map((k) => owner.post('/attendance/check-in', { studentId: k.id })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect(results.filter((r) => r.status === 409)).toHaveLength(5);
    expect((await owner.get(`/rooms/${room.id}/roster`)).body.presentCount).toBe(3);
  });

  it('parallel check-outs of one child: exactly one 200, the rest 409', async () => {
    const { owner, tenant } = await newTenant(srv);
    const child = await fixtures(srv, tenant.id).student();
    expect((await owner.post('/attendance/check-in', { studentId: child.id })).status).toBe(201);
    const results = await Promise.all(Array.from({ length: 10 }, () => owner.post('/attendance/check-out', { studentId: child.id })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
  });

  it('10 parallel check-ins with one Idempotency-Key: one effect, the others replays or IDEMPOTENCY_IN_PROGRESS', async () => {
    const { owner, tenant } = await newTenant(srv);
    const child = await fixtures(srv, tenant.id).student();
    const h = { 'idempotency-key': `kiosk-${child.id}` };
    const results = await Promise.all(Array.from({ length: 10 }, () => owner.post('/attendance/check-in', { studentId: child.id }, h)));
    for (const r of results) {
      expect(r.status, r.text).toBeLessThan(500);
      if (r.status === 201) {
        if (r.headers.get('idempotent-replayed') !== 'true') continue;
      } else {
        expect(r.status).toBe(409);
        expect(r.body.error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
      }
    }
    const fresh = results.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') !== 'true');
    expect(fresh).toHaveLength(1);
    const replays = results.filter((r) => r.headers.get('idempotent-replayed') === 'true');
    for (const r of replays) expect(r.body.id).toBe(fresh[0]!.body.id);
    const list = await owner.get(`/attendance?studentId=${child.id}`);
    expect(list.body.items).toHaveLength(1);
    // Afterwards the key always replays the one response.
    const later = await owner.post('/attendance/check-in', { studentId: child.id }, h);
    expect(later.status).toBe(201);
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    expect(later.body.id).toBe(fresh[0]!.body.id);
  });
});
