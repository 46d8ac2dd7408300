/** The care log and the daily report (CONTRACT §5 Care log and daily report). */
import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/modules/care-log/care-entries.dto.js';
import { auditActions, mkGuardian, mkRoom, mkStudent, newCentre, useServer } from '../factories/index.js';
import { addMember } from '../helpers/server.js';
import type { Agent } from '../helpers/http.js';

const ago = (min: number) => new Date(Date.now() - min * 60_000).toISOString();
const today = () => new Date().toISOString().slice(0, 10);

async function family(srv: any, owner: Agent) {
  const room = await mkRoom(owner);
  const kid = await mkStudent(owner, { roomId: room.id });
  const stranger = await mkStudent(owner, { roomId: room.id });
  const g = await addMember(srv, owner, ['guardian']);
  const rec = await mkGuardian(owner, { email: g.email });
  await owner.put(`/students/${kid.id}/guardians/${rec.id}`, { relationship: 'parent', authorizedPickup: true });
  return { room, kid, stranger, guardian: g.agent };
}

describe('summary rules (one pass)', () => {
  it('counts meals, diapers and toilet of any kind, sums bottle ml, adds whole minutes of ended naps, takes the latest mood', () => {
    const t = (h: number, m = 0) => new Date(Date.UTC(2026, 2, 9, h, m));
    const s = summarize([
      { type: 'meal', at: t(8), endAt: null, details: { meal: 'breakfast', amount: 'none' } },
      { type: 'meal', at: t(12), endAt: null, details: { meal: 'lunch', amount: 'all' } },
      { type: 'bottle', at: t(9), endAt: null, details: { ml: 120 } },
      { type: 'bottle', at: t(15), endAt: null, details: { ml: 95 } },
      { type: 'nap', at: t(13), endAt: new Date(t(14, 30).getTime() + 59_000), details: {} },
      { type: 'nap', at: t(10), endAt: t(10, 20), details: {} },
      { type: 'nap', at: t(16), endAt: null, details: {} },
      { type: 'diaper', at: t(9), endAt: null, details: { kind: 'dry' } },
      { type: 'diaper', at: t(11), endAt: null, details: { kind: 'wet_bm' } },
      { type: 'toilet', at: t(11), endAt: null, details: { kind: 'tried' } },
      { type: 'mood', at: t(15), endAt: null, details: { mood: 'tired' } },
      { type: 'mood', at: t(9), endAt: null, details: { mood: 'happy' } },
      { type: 'activity', at: t(10), endAt: null, details: { title: 'Painting' } },
    ]);
    expect(s).toEqual({ meals: 2, bottleMl: 215, napMinutes: 110, diapers: 2, toilet: 1, lastMood: 'tired' });
    expect(summarize([])).toEqual({ meals: 0, bottleMl: 0, napMinutes: 0, diapers: 0, toilet: 0, lastMood: null });
  });
});

describe('care log over HTTP', () => {
  const srv = useServer();

  it('logs typed entries (201, ETag, audited); details that do not fit the type → 400; endAt before at or a future time → 422', async () => {
    const { owner } = await newCentre(srv);
    const kid = await mkStudent(owner);
    const meal = await owner.post(`/students/${kid.id}/care-entries`, { type: 'meal', details: { meal: 'lunch', amount: 'most', food: 'Soup' }, note: 'Loved it' });
    expect(meal.status, meal.text).toBe(201);
    expect(meal.body).toMatchObject({ studentId: kid.id, type: 'meal', endAt: null, date: today(), details: { meal: 'lunch', amount: 'most', food: 'Soup' }, note: 'Loved it', visibleToGuardians: true, recordedByMembershipId: expect.any(String), version: 1 });
    expect(meal.headers.get('etag')).toBe('"1"');
    expect((await auditActions(owner, 'care_entry.created'))[0]).toMatchObject({ targetId: meal.body.id });
    for (const [type, details] of [['nap', undefined], ['note', undefined], ['bottle', { ml: 150, contents: 'formula' }], ['diaper', { kind: 'wet_bm' }], ['toilet', { kind: 'tried' }], ['mood', { mood: 'calm' }], ['activity', { title: 'Sand play' }]] as const) {
      const r = await owner.post(`/students/${kid.id}/care-entries`, { type, ...(details ? { details } : {}), at: ago(10) });
      expect(r.status, `${type}: ${r.text}`).toBe(201);
    }
    const bad = [
      { type: 'meal', details: { ml: 100 } },
      { type: 'meal' },
      { type: 'bottle', details: { ml: 0 } },
      { type: 'bottle', details: { ml: 1001 } },
      { type: 'diaper', details: { kind: 'tried' } },
      { type: 'toilet', details: { kind: 'wet_bm' } },
      { type: 'nap', details: { minutes: 30 } },
      { type: 'mood', details: { mood: 'angry' } },
      { type: 'activity', details: {} },
      { type: 'note', details: { text: 'x' } },
      { type: 'snack', details: {} },
      { type: 'meal', details: { meal: 'lunch', amount: 'all', extra: 1 } },
    ];
    for (const body of bad) {
      const r = await owner.post(`/students/${kid.id}/care-entries`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_ERROR');
    }
    const backwards = await owner.post(`/students/${kid.id}/care-entries`, { type: 'nap', at: ago(30), endAt: ago(40) });
    expect(backwards.status).toBe(422);
    expect((await owner.post(`/students/${kid.id}/care-entries`, { type: 'note', at: new Date(Date.now() + 6 * 60_000).toISOString() })).status).toBe(422);
    expect((await owner.post(`/students/${kid.id}/care-entries`, { type: 'note', at: new Date(Date.now() + 3 * 60_000).toISOString() })).status).toBe(201);
    expect((await owner.post(`/students/${kid.id}/care-entries`, { type: 'nap', at: ago(30), endAt: new Date(Date.now() + 10 * 60_000).toISOString() })).status).toBe(422);
  });

  it('a nap ends later by PATCH (If-Match, 412, audited); details are checked against the entry’s type; DELETE → 204', async () => {
    const { owner } = await newCentre(srv);
    const kid = await mkStudent(owner);
    const nap = (await owner.post(`/students/${kid.id}/care-entries`, { type: 'nap', at: ago(90) })).body;
    expect((await owner.patch(`/care-entries/${nap.id}`, { endAt: ago(30) }, { 'if-match': '"9"' })).status).toBe(412);
    const ended = await owner.patch(`/care-entries/${nap.id}`, { endAt: ago(30) }, { 'if-match': `"${nap.version}"` });
    expect(ended.status, ended.text).toBe(200);
    expect(ended.body).toMatchObject({ version: 2, endAt: expect.any(String) });
    expect((await owner.patch(`/care-entries/${nap.id}`, { endAt: ago(100) })).status).toBe(422);
    expect((await owner.patch(`/care-entries/${nap.id}`, { details: { kind: 'wet' } })).status).toBe(400);
    const bottle = (await owner.post(`/students/${kid.id}/care-entries`, { type: 'bottle', details: { ml: 100 } })).body;
    expect((await owner.patch(`/care-entries/${bottle.id}`, { details: { ml: 2000 } })).status).toBe(400);
    expect((await owner.patch(`/care-entries/${bottle.id}`, { details: { ml: 180 } })).body.details).toEqual({ ml: 180 });
    expect((await auditActions(owner, 'care_entry.updated')).length).toBe(2);
    expect((await owner.delete(`/care-entries/${bottle.id}`, { 'if-match': '"1"' })).status).toBe(412);
    expect((await owner.delete(`/care-entries/${bottle.id}`, { 'if-match': '"2"' })).status).toBe(204);
    expect((await owner.get(`/care-entries/${bottle.id}`)).status).toBe(404);
    expect((await auditActions(owner, 'care_entry.deleted'))[0]).toMatchObject({ targetId: bottle.id });
  });

  it('staff-only entries never reach a guardian: not in the list, the report, its summary, nor by id; other families’ children → 404', async () => {
    const { owner } = await newCentre(srv);
    const f = await family(srv, owner);
    const shown = (await owner.post(`/students/${f.kid.id}/care-entries`, { type: 'bottle', details: { ml: 100 }, at: ago(60) })).body;
    const hidden = (await owner.post(`/students/${f.kid.id}/care-entries`, { type: 'bottle', details: { ml: 50 }, note: 'Staff: spat up', visibleToGuardians: false, at: ago(50) })).body;
    await owner.post(`/students/${f.kid.id}/care-entries`, { type: 'mood', details: { mood: 'unwell' }, visibleToGuardians: false, at: ago(40) });
    await owner.post(`/students/${f.kid.id}/care-entries`, { type: 'mood', details: { mood: 'happy' }, at: ago(45) });
    const staffList = await owner.get(`/students/${f.kid.id}/care-entries`);
    expect(staffList.body.items).toHaveLength(4);
    const gList = await f.guardian.get(`/students/${f.kid.id}/care-entries?date=${today()}`);
    expect(gList.status).toBe(200);
    expect(gList.body.items.map((e: any) => e.visibleToGuardians)).toEqual([true, true]);
    expect(gList.text.includes(hidden.id)).toBe(false);
    const gReport = await f.guardian.get(`/students/${f.kid.id}/daily-report`);
    expect(gReport.body.entries).toHaveLength(2);
    expect(gReport.body.summary).toMatchObject({ bottleMl: 100, lastMood: 'happy' });
    expect(gReport.text.includes('spat up')).toBe(false);
    const sReport = await owner.get(`/students/${f.kid.id}/daily-report`);
    expect(sReport.body.summary).toMatchObject({ bottleMl: 150, lastMood: 'unwell' });
    expect((await f.guardian.get(`/care-entries/${hidden.id}`)).status).toBe(404);
    expect((await f.guardian.get(`/care-entries/${shown.id}`)).status).toBe(200);
    // A guardian cannot write the log: 403 on what they see, 404 on what they do not.
    expect((await f.guardian.patch(`/care-entries/${shown.id}`, { note: 'x' })).status).toBe(403);
    expect((await f.guardian.patch(`/care-entries/${hidden.id}`, { note: 'x' })).status).toBe(404);
    expect((await f.guardian.post(`/students/${f.kid.id}/care-entries`, { type: 'note', note: 'hi' })).status).toBe(403);
    // Another family's child.
    expect((await f.guardian.get(`/students/${f.stranger.id}/care-entries`)).status).toBe(404);
    expect((await f.guardian.get(`/students/${f.stranger.id}/daily-report`)).status).toBe(404);
    // Another centre.
    const other = await newCentre(srv);
    expect((await other.owner.get(`/students/${f.kid.id}/daily-report`)).status).toBe(404);
    expect((await other.owner.get(`/care-entries/${shown.id}`)).status).toBe(404);
    expect((await other.owner.patch(`/care-entries/${shown.id}`, { note: 'x' })).status).toBe(404);
    expect((await other.owner.post(`/students/${f.kid.id}/care-entries`, { type: 'note' })).status).toBe(404);
  });

  it('a room batch: every child present (or those named) in one statement, one audit row with the ids; nobody present → 422', async () => {
    const { owner } = await newCentre(srv);
    const room = await mkRoom(owner);
    const kids = await Promise.all([1, 2, 3].map(() => mkStudent(owner, { roomId: room.id })));
    const absentKid = await mkStudent(owner, { roomId: room.id });
    expect((await owner.post(`/rooms/${room.id}/care-entries`, { type: 'meal', details: { meal: 'lunch', amount: 'all' } })).status).toBe(422);
    for (const k of kids) await owner.post('/attendance/check-in', { studentId: k.id });
    const lunch = await owner.post(`/rooms/${room.id}/care-entries`, { type: 'meal', details: { meal: 'lunch', amount: 'all' } });
    expect(lunch.status, lunch.text).toBe(201);
    expect(lunch.body.items.map((e: any) => e.studentId).sort()).toEqual(kids.map((k) => k.id).sort());
    const audit = await auditActions(owner, 'care_entry.batch_created');
    expect(audit).toHaveLength(1);
    expect(audit[0].after.entryIds.sort()).toEqual(lunch.body.items.map((e: any) => e.id).sort());
    const named = await owner.post(`/rooms/${room.id}/care-entries`, { type: 'activity', details: { title: 'Story' }, studentIds: [absentKid.id, kids[0]!.id] });
    expect(named.body.items).toHaveLength(2);
    expect((await owner.post(`/rooms/${room.id}/care-entries`, { type: 'meal', details: { amount: 'all' } })).status).toBe(400);
    const other = await newCentre(srv);
    const theirs = await mkStudent(other.owner);
    expect((await owner.post(`/rooms/${room.id}/care-entries`, { type: 'note', note: 'x', studentIds: [theirs.id] })).status).toBe(404);
    expect((await other.owner.post(`/rooms/${room.id}/care-entries`, { type: 'note', note: 'x' })).status).toBe(404);
    expect((await auditActions(owner, 'care_entry.batch_created'))).toHaveLength(2);
  });

  it('the daily report: stays (a move is two), absence, entries by time and the exact summary; one per local day', async () => {
    const { owner } = await newCentre(srv);
    const a = await mkRoom(owner);
    const b = await mkRoom(owner);
    const kid = await mkStudent(owner, { roomId: a.id });
    // A fixed past day (UTC centre): the stays and entries all fall on 2026-01-06 whatever the time of the run.
    const at = (min: number) => new Date(Date.parse('2026-01-06T17:00:00Z') - min * 60_000).toISOString();
    await owner.post('/attendance/check-in', { studentId: kid.id, at: at(300) });
    await owner.post('/attendance/move', { studentId: kid.id, roomId: b.id, at: at(200) });
    const post = (body: object) => owner.post(`/students/${kid.id}/care-entries`, body);
    await post({ type: 'meal', details: { meal: 'breakfast', amount: 'none' }, at: at(290) });
    await post({ type: 'meal', details: { meal: 'lunch', amount: 'some' }, at: at(150) });
    await post({ type: 'bottle', details: { ml: 120 }, at: at(250) });
    await post({ type: 'bottle', details: { ml: 60 }, at: at(100) });
    await post({ type: 'nap', at: at(180), endAt: at(135) });
    await post({ type: 'nap', at: at(20) });
    await post({ type: 'diaper', details: { kind: 'dry' }, at: at(240) });
    await post({ type: 'toilet', details: { kind: 'bm' }, at: at(230) });
    await post({ type: 'mood', details: { mood: 'fussy' }, at: at(10) });
    await post({ type: 'mood', details: { mood: 'happy' }, at: at(270) });
    const r = await owner.get(`/students/${kid.id}/daily-report?date=2026-01-06`);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ date: '2026-01-06', studentId: kid.id, absence: null });
    expect(r.body.attendance.map((s: any) => s.roomId)).toEqual([a.id, b.id]);
    expect(r.body.attendance[0].movedToRoomId).toBe(b.id);
    expect(r.body.entries).toHaveLength(10);
    const ats = r.body.entries.map((e: any) => e.at);
    expect([...ats].sort()).toEqual(ats);
    expect(r.body.summary).toEqual({ meals: 2, bottleMl: 180, napMinutes: 45, diapers: 1, toilet: 1, lastMood: 'fussy' });
    const other = await mkStudent(owner, { roomId: a.id });
    await owner.post('/absences', { studentId: other.id, date: '2026-01-05', reason: 'sick', note: 'Cold' });
    const abs = await owner.get(`/students/${other.id}/daily-report?date=2026-01-05`);
    expect(abs.body).toMatchObject({ attendance: [], entries: [], absence: { reason: 'sick', note: 'Cold' }, summary: { meals: 0, bottleMl: 0, napMinutes: 0, diapers: 0, toilet: 0, lastMood: null } });
    expect((await owner.get(`/students/${kid.id}/daily-report?date=2026-02-30`)).status).toBe(400);
    expect((await owner.get(`/students/${kid.id}/care-entries?date=2026-01-05`)).body.items).toEqual([]);
  });

  it('an Idempotency-Key replays a care entry and a room batch without a second write', async () => {
    const { owner } = await newCentre(srv);
    const room = await mkRoom(owner);
    const kid = await mkStudent(owner, { roomId: room.id });
    await owner.post('/attendance/check-in', { studentId: kid.id });
    const key = { 'idempotency-key': `care-${kid.id}` };
    const one = await owner.post(`/students/${kid.id}/care-entries`, { type: 'note', note: 'hi' }, key);
    const two = await owner.post(`/students/${kid.id}/care-entries`, { type: 'note', note: 'hi' }, key);
    expect(two.body.id).toBe(one.body.id);
    expect(two.headers.get('idempotent-replayed')).toBe('true');
    const bkey = { 'idempotency-key': `batch-${kid.id}` };
    const b1 = await owner.post(`/rooms/${room.id}/care-entries`, { type: 'note', note: 'all' }, bkey);
    const b2 = await owner.post(`/rooms/${room.id}/care-entries`, { type: 'note', note: 'all' }, bkey);
    expect(b2.body).toEqual(b1.body);
    expect((await owner.get(`/students/${kid.id}/care-entries`)).body.items).toHaveLength(2);
  });
});
