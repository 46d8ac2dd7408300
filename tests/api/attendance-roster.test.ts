import { describe, expect, it } from 'vitest';
import { DEFAULT_RATIOS, effectiveRatio, ratioStatus, requiredStaff } from '../../src/core/ratios.js';
import { fixtures, useServer } from '../factories/index.js';
import { addMember, newTenant } from '../helpers/server.js';

const NIL = '00000000-0000-7000-8000-000000000000';

describe('ratio table', () => {
  it('uses the room’s ratio, else its age group’s default, else preschool’s', () => {
    expect(DEFAULT_RATIOS).toEqual({ infant: 4, toddler: 6, preschool: 10, school_age: 15 });
    expect(effectiveRatio({ ratio: 3, ageGroup: 'infant' })).toEqual({ childrenPerStaff: 3, source: 'room' });
    expect(effectiveRatio({ ratio: null, ageGroup: 'toddler' })).toEqual({ childrenPerStaff: 6, source: 'ageGroup' });
    expect(effectiveRatio({ ratio: null, ageGroup: null })).toEqual({ childrenPerStaff: 10, source: 'default' });
    expect(effectiveRatio({ ratio: 0, ageGroup: 'school_age' })).toEqual({ childrenPerStaff: 15, source: 'ageGroup' });
  });
  it('needs ceil(present / ratio) staff; nobody present needs nobody', () => {
    expect([0, 1, 4, 5, 8, 9].map((n) => requiredStaff(n, 4))).toEqual([0, 1, 1, 2, 2, 3]);
    expect(ratioStatus(5, 1, { ratio: null, ageGroup: 'infant' })).toMatchObject({ required: 2, actual: 1, compliant: false });
    expect(ratioStatus(0, 0, { ratio: null, ageGroup: 'infant' })).toMatchObject({ required: 0, actual: 0, compliant: true });
  });
});

describe('GET /rooms/{id}/roster', () => {
  const srv = useServer();

  it('lists the children present, the staff on duty and whether the ratio holds', async () => {
    const { owner, tenant } = await newTenant(srv);
    const fx = fixtures(srv, tenant.id);
    const room = await fx.room({ name: 'Babies', capacity: 12, ageGroup: 'infant' });
    const kids = await Promise.all(Array.from({ length: 6 }, (_, i) => fx.student({ roomId: room.id, firstName: `Kid${i}`, lastName: `L${i}` })));
    const s1 = await fx.staff([room.id], { onDuty: room.id });
    // Assigned to the room but not clocked in: not on duty (CONTRACT §5: staffOnDuty counts clock-ins).
    await fx.staff([room.id]);
    await fx.staff([room.id], { archived: true });
    const empty = await owner.get(`/rooms/${room.id}/roster`);
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({
      room: { id: room.id, name: 'Babies', capacity: 12, ageGroup: 'infant', ratio: null },
      present: [],
      presentCount: 0,
      staffOnDuty: 1,
      ratio: { required: 0, actual: 1, compliant: true, childrenPerStaff: 4, source: 'ageGroup' },
    });
    expect(empty.body.staff).toEqual([expect.objectContaining({ id: s1.id })]);

    for (const k of kids.slice(0, 5)) expect((await owner.post('/attendance/check-in', { studentId: k.id })).status).toBe(201);
    await owner.post('/attendance/check-in', { studentId: kids[5]!.id });
    await owner.post('/attendance/check-out', { studentId: kids[5]!.id });
    const five = await owner.get(`/rooms/${room.id}/roster`);
    expect(five.body.present.map((p: any) => p.id).sort()).toEqual(kids.slice(0, 5).map((k) => k.id).sort());
    expect(five.body.present[0]).toMatchObject({ firstName: 'Kid0', lastName: 'L0', checkInAt: expect.any(String), attendanceId: expect.any(String) });
    expect(five.body.ratio).toMatchObject({ required: 2, actual: 1, compliant: false });

    await fx.staff([room.id], { onDuty: room.id });
    const ok = await owner.get(`/rooms/${room.id}/roster`);
    expect(ok.body).toMatchObject({ staffOnDuty: 2, ratio: { required: 2, actual: 2, compliant: true } });
  });

  it('a room’s own ratio wins; a room without age group or ratio uses 1:10', async () => {
    const { owner, tenant } = await newTenant(srv);
    const fx = fixtures(srv, tenant.id);
    const strict = await fx.room({ ageGroup: 'preschool', ratio: 2 });
    const plain = await fx.room();
    for (let i = 0; i < 3; i++) await owner.post('/attendance/check-in', { studentId: (await fx.student({ roomId: strict.id })).id });
    for (let i = 0; i < 11; i++) await owner.post('/attendance/check-in', { studentId: (await fx.student({ roomId: plain.id })).id });
    await fx.staff([strict.id, plain.id], { onDuty: strict.id });
    await fx.staff([strict.id, plain.id], { onDuty: plain.id });
    expect((await owner.get(`/rooms/${strict.id}/roster`)).body.ratio).toEqual({ required: 2, actual: 1, compliant: false, childrenPerStaff: 2, source: 'room' });
    expect((await owner.get(`/rooms/${plain.id}/roster`)).body.ratio).toEqual({ required: 2, actual: 1, compliant: false, childrenPerStaff: 10, source: 'default' });
  });

  it('teachers read it; guardians see only their own children in their children’s rooms; others 404', async () => {
    const { owner, tenant } = await newTenant(srv);
    const fx = fixtures(srv, tenant.id);
    const teacher = await addMember(srv, owner, ['teacher']);
    const g = await addMember(srv, owner, ['guardian']);
    const gRec = await fx.guardian({ email: g.email });
    const room = await fx.room();
    const otherRoom = await fx.room();
    const mine = await fx.student({ roomId: room.id, firstName: 'Mine' });
    const classmate = await fx.student({ roomId: room.id, firstName: 'Classmate' });
    await fx.student({ roomId: otherRoom.id });
    await fx.link(mine.id, gRec.id);
    await owner.post('/attendance/check-in', { studentId: mine.id });
    await owner.post('/attendance/check-in', { studentId: classmate.id });
    const onDuty = await fx.staff([room.id], { onDuty: room.id });

    const t = await teacher.agent.get(`/rooms/${room.id}/roster`);
    expect(t.status).toBe(200);
    expect(t.body.present).toHaveLength(2);
    expect(t.body.staff).toEqual([expect.objectContaining({ id: onDuty.id })]);

    const gr = await g.agent.get(`/rooms/${room.id}/roster`);
    expect(gr.status).toBe(200);
    expect(gr.body.present.map((p: any) => p.firstName)).toEqual(['Mine']);
    expect(gr.text).not.toContain('Classmate');
    expect(gr.body.presentCount).toBe(2);
    // Their own children and the counts; no staff identities (issue 10, item 8).
    expect(gr.body.staffOnDuty).toBe(1);
    expect(gr.body.staff).toEqual([]);
    expect(gr.text).not.toMatch(/Staff\d/);
    expect(gr.text).not.toContain(onDuty.id);
    expect((await g.agent.get(`/rooms/${otherRoom.id}/roster`)).status).toBe(404);

    const other = await newTenant(srv);
    for (const path of [`/rooms/${room.id}/roster`, `/rooms/${NIL}/roster`, '/rooms/not-a-uuid/roster']) {
      const r = await other.owner.get(path);
      expect(r.status, path).toBe(404);
      expect(r.body.error.code).toBe('NOT_FOUND');
    }
  });
});
