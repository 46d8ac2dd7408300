import { describe, expect, it } from 'vitest';
import { addDays, localDate, localDateTime, localTime, startOfLocalDay, zonedInstant } from '../../src/core/time.js';
import { splitAtLocalMidnight } from '../../src/modules/staff-time/timecards.js';

/**
 * Property tests of core/time.ts over every IANA zone the runtime knows and every day of two years (2026 and 2027):
 * a local day starts at its first existing instant, and local date/time ↔ instant round-trips under the one rule
 * (gaps forward, overlaps the earlier instant). Exhaustive over zones × days; the times within a day are sampled by a
 * seeded generator so the run is deterministic and stays well under the 30 s CI budget.
 */
const ZONES = Intl.supportedValuesOf('timeZone');
const FIRST = '2026-01-01';
const LAST = '2027-12-31';
const MIN = 60_000;

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const offsetAt = (t: number, tz: string) => {
  // Minutes east of UTC, read through the two public functions so the test does not share the implementation's helper.
  const [d, hm] = localDateTime(new Date(t), tz).split(' ') as [string, string];
  return (Date.parse(`${d}T${hm}:00Z`) - Math.floor(t / MIN) * MIN) / MIN;
};

describe('time zones (core/time.ts on @date-fns/tz)', () => {
  it('the known edge days: DST at midnight, gaps forward, overlaps earlier', () => {
    // Santiago and Havana: midnight does not exist on these days; the day starts at 01:00 of the new offset.
    expect(startOfLocalDay('2026-09-06', 'America/Santiago').toISOString()).toBe('2026-09-06T04:00:00.000Z');
    expect(startOfLocalDay('2026-03-08', 'America/Havana').toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(localDate(new Date('2026-09-06T03:59:59.999Z'), 'America/Santiago')).toBe('2026-09-05');
    // Santiago falls back at the end of 2026-04-04 (24:00 -03 → 23:00 -04): that day has 25 hours, 2026-04-05 starts once.
    expect(startOfLocalDay('2026-04-05', 'America/Santiago').toISOString()).toBe('2026-04-05T04:00:00.000Z');
    expect(localDate(new Date('2026-04-05T03:30:00Z'), 'America/Santiago')).toBe('2026-04-04');
    // Gaps resolve forward the same way everywhere: 02:30 → 03:30 of the new offset.
    expect(zonedInstant('2026-03-08', '02:30', 'America/Los_Angeles').toISOString()).toBe('2026-03-08T10:30:00.000Z');
    expect(zonedInstant('2026-03-29', '02:30', 'Europe/Berlin').toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(localTime(zonedInstant('2026-03-08', '02:30', 'America/Los_Angeles'), 'America/Los_Angeles')).toBe('03:30');
    expect(localTime(zonedInstant('2026-03-29', '02:30', 'Europe/Berlin'), 'Europe/Berlin')).toBe('03:30');
    // Overlaps resolve to the earlier instant.
    expect(zonedInstant('2026-11-01', '01:30', 'America/Los_Angeles').toISOString()).toBe('2026-11-01T08:30:00.000Z');
    expect(zonedInstant('2026-10-25', '02:30', 'Europe/Berlin').toISOString()).toBe('2026-10-25T00:30:00.000Z');
    // An ordinary day is unchanged.
    expect(startOfLocalDay('2026-06-01', 'Europe/Berlin').toISOString()).toBe('2026-05-31T22:00:00.000Z');
  });

  it('a timecard splits at the first instant of the local day where midnight does not exist', () => {
    // 21:00 -04 on 2026-09-05 to 03:00 -03 on 2026-09-06 in Santiago: 3 h before the day starts at 01:00, 2 h after.
    const split = splitAtLocalMidnight(
      { start: new Date('2026-09-06T01:00:00Z'), end: new Date('2026-09-06T06:00:00Z') },
      'America/Santiago',
    );
    expect(Object.fromEntries(split)).toEqual({ '2026-09-05': 3 * 3_600_000, '2026-09-06': 2 * 3_600_000 });
  });

  it(`knows every zone the runtime knows (${ZONES.length}), the edge ones included`, () => {
    expect(ZONES.length).toBeGreaterThan(300);
    for (const zone of ['America/Santiago', 'America/Havana', 'America/Los_Angeles', 'Europe/Berlin']) expect(ZONES).toContain(zone);
  });

  // In slices of 60 zones, so that a busy machine meets each test's time limit; together they cover every zone.
  const SLICES = Array.from({ length: Math.ceil(ZONES.length / 60) }, (_, i) => ZONES.slice(i * 60, i * 60 + 60));
  it.each(SLICES.map((zones, i) => [i + 1, zones] as const))(`every zone × every day of 2026–2027, slice %i: a day starts at its first existing instant; local ↔ instant round-trips`, async (i, zones) => {
    const random = rng(20260906 + i);
    const failures: string[] = [];
    const check = (ok: boolean, what: () => string) => {
      if (!ok && failures.length < 20) failures.push(what());
    };
    let checked = 0;
    let roundTrips = 0;
    for (const tz of zones) {
      // Let the worker answer vitest between zones (one long synchronous loop starves its RPC on a busy machine).
      await new Promise((r) => setImmediate(r));
      let start = startOfLocalDay(FIRST, tz).getTime();
      for (let day = FIRST, n = 0; day <= LAST; day = addDays(day, 1), n++) {
        const next = startOfLocalDay(addDays(day, 1), tz).getTime();
        // The start is on the day, and the millisecond before it is on an earlier day.
        check(localDate(new Date(start), tz) === day, () => `${tz} ${day}: start ${new Date(start).toISOString()} is not on the day`);
        check(localDate(new Date(start - 1), tz) < day, () => `${tz} ${day}: the instant before ${new Date(start).toISOString()} is on the day`);
        check(next > start, () => `${tz} ${day}: the next day starts first`);
        checked++;
        // Round trips on every day whose length is not 24 h (where the offset changes) and on every 7th day.
        if (next - start !== 86_400_000 || n % 7 === 0) {
          roundTrips++;
          // instant → local → instant: the same wall time, and the same instant unless that wall time happens twice
          // (then the earlier one, exactly one offset change before).
          const t = start + Math.floor((random() * (next - start)) / MIN) * MIN;
          check(localDate(new Date(t), tz) === day, () => `${tz} ${day}: ${new Date(t).toISOString()} inside the day is not on it`);
          const back = zonedInstant(day, localTime(new Date(t), tz), tz).getTime();
          check(localDateTime(new Date(back), tz) === localDateTime(new Date(t), tz), () => `${tz} ${day}: ${new Date(t).toISOString()} came back as ${new Date(back).toISOString()}`);
          if (back !== t) check(back < t && offsetAt(back, tz) - offsetAt(t, tz) === (t - back) / MIN, () => `${tz} ${day}: ${new Date(t).toISOString()} is no overlap`);

          // local → instant → local: a wall time that exists comes back unchanged; one in a gap moves forward by the gap.
          for (const wall of [localTime(new Date(start), tz), `${String(Math.floor(random() * 24)).padStart(2, '0')}:${String(Math.floor(random() * 60)).padStart(2, '0')}`]) {
            const at = zonedInstant(day, wall, tz).getTime();
            const seen = localDateTime(new Date(at), tz);
            if (seen === `${day} ${wall}`) continue;
            const gap = offsetAt(at, tz) - offsetAt(at - 86_400_000, tz);
            const forward = localDateTime(new Date(Date.parse(`${day}T${wall}:00Z`) + gap * MIN), 'UTC');
            check(gap > 0 && seen === forward, () => `${tz} ${day} ${wall}: came back as ${seen}, not forward by a gap`);
          }
        }
        start = next;
      }
    }
    expect(failures).toEqual([]);
    expect(roundTrips).toBeGreaterThan(zones.length * 100);
    expect(checked).toBe(zones.length * 730);
  }, 120_000);
});
