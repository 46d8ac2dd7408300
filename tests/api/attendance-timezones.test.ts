import { describe, expect, it } from 'vitest';
import { fixtures, useServer } from '../factories/index.js';
import { newTenant } from '../helpers/server.js';

/**
 * A record's `date` is the centre's local date at check-in. Each case names the local wall-clock time and the UTC
 * instant it is, around local midnight and across daylight-saving changes in 2026:
 *  - Los Angeles: DST starts 2026-03-08 02:00 PST (−8) → 03:00 PDT (−7)
 *  - Auckland: DST ends 2026-04-05 03:00 NZDT (+13) → 02:00 NZST (+12)
 */
const LA: [string, string, string][] = [
  ['2026-03-07 23:30 PST', '2026-03-08T07:30:00Z', '2026-03-07'],
  ['2026-03-07 23:59:59 PST', '2026-03-08T07:59:59Z', '2026-03-07'],
  ['2026-03-08 00:00 PST', '2026-03-08T08:00:00Z', '2026-03-08'],
  ['2026-03-08 01:59 PST (just before the change)', '2026-03-08T09:59:00Z', '2026-03-08'],
  ['2026-03-08 03:00 PDT (just after the change)', '2026-03-08T10:00:00Z', '2026-03-08'],
  ['2026-03-08 23:59:59 PDT', '2026-03-09T06:59:59Z', '2026-03-08'],
  ['2026-03-09 00:00 PDT (a fixed −8 would say 03-08 23:00)', '2026-03-09T07:00:00Z', '2026-03-09'],
  ['2026-03-09 00:30 PDT', '2026-03-09T07:30:00Z', '2026-03-09'],
];
const AUCKLAND: [string, string, string][] = [
  ['2026-04-04 23:30 NZDT', '2026-04-04T10:30:00Z', '2026-04-04'],
  ['2026-04-05 00:00 NZDT', '2026-04-04T11:00:00Z', '2026-04-05'],
  ['2026-04-05 02:30 NZDT (first of the repeated hour)', '2026-04-04T13:30:00Z', '2026-04-05'],
  ['2026-04-05 02:30 NZST (second of the repeated hour)', '2026-04-04T14:30:00Z', '2026-04-05'],
  ['2026-04-05 23:30 NZST (a fixed +13 would say 04-06 00:30)', '2026-04-05T11:30:00Z', '2026-04-05'],
  ['2026-04-05 23:59:59 NZST', '2026-04-05T11:59:59Z', '2026-04-05'],
  ['2026-04-06 00:00 NZST', '2026-04-05T12:00:00Z', '2026-04-06'],
];

describe('attendance dates in the centre’s time zone', () => {
  const srv = useServer();

  for (const [zone, cases] of [
    ['America/Los_Angeles', LA],
    ['Pacific/Auckland', AUCKLAND],
  ] as const) {
    it(`${zone}: check-ins around local midnight and the DST change land on the local date`, async () => {
      const { owner, tenant } = await newTenant(srv, { timezone: zone });
      const fx = fixtures(srv, tenant.id);
      const byDate = new Map<string, string[]>();
      for (const [label, at, date] of cases) {
        const child = await fx.student();
        const r = await owner.post('/attendance/check-in', { studentId: child.id, at });
        expect(r.status, label).toBe(201);
        expect(r.body.date, label).toBe(date);
        expect(r.body.checkInAt).toBe(new Date(at).toISOString());
        byDate.set(date, [...(byDate.get(date) ?? []), r.body.id]);
      }
      for (const [date, ids] of byDate) {
        const list = await owner.get(`/attendance?date=${date}`);
        expect(list.body.items.map((x: any) => x.id).sort(), date).toEqual([...ids].sort());
      }
    });
  }

  it('an overnight stay across the LA change keeps its check-in date; a correction recomputes it', async () => {
    const { owner, tenant } = await newTenant(srv, { timezone: 'America/Los_Angeles' });
    const child = await fixtures(srv, tenant.id).student();
    const rec = await owner.post('/attendance/check-in', { studentId: child.id, at: '2026-03-08T07:30:00Z' });
    expect(rec.body.date).toBe('2026-03-07');
    const out = await owner.post('/attendance/check-out', { studentId: child.id, at: '2026-03-08T10:30:00Z' });
    expect(out.status).toBe(200);
    expect(out.body.date).toBe('2026-03-07');
    const fix = await owner.patch(`/attendance/${rec.body.id}`, { checkInAt: '2026-03-08T08:15:00Z', reason: 'arrived after midnight' });
    expect(fix.status).toBe(200);
    expect(fix.body.date).toBe('2026-03-08');
    expect((await owner.get('/attendance?date=2026-03-07')).body.items).toEqual([]);
  });

  it('the same instant is a different local date in Auckland and Los Angeles', async () => {
    const at = '2026-06-15T11:30:00Z'; // 23:30 NZST on the 15th, 04:30 PDT on the 15th; 12:30Z is the 16th in Auckland
    const later = '2026-06-15T12:30:00Z';
    const nz = await newTenant(srv, { timezone: 'Pacific/Auckland' });
    const la = await newTenant(srv, { timezone: 'America/Los_Angeles' });
    const nzFx = fixtures(srv, nz.tenant.id);
    const laFx = fixtures(srv, la.tenant.id);
    expect((await nz.owner.post('/attendance/check-in', { studentId: (await nzFx.student()).id, at })).body.date).toBe('2026-06-15');
    expect((await nz.owner.post('/attendance/check-in', { studentId: (await nzFx.student()).id, at: later })).body.date).toBe('2026-06-16');
    expect((await la.owner.post('/attendance/check-in', { studentId: (await laFx.student()).id, at: later })).body.date).toBe('2026-06-15');
  });
});
