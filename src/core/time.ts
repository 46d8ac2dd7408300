/**
 * Time-zone arithmetic for centres, on `@date-fns/tz` (the runtime's IANA database through Intl), never hand-written
 * offset loops.
 *
 * One rule for local wall-clock times that do not map to exactly one instant (README, "Time zones"):
 * - a **gap** (the clock jumps forward, e.g. 02:30 on a spring-forward night) resolves **forward**, by the length of the
 *   gap — 02:30 in Los Angeles and in Berlin both become 03:30 of the new offset (Temporal's `disambiguation:
 *   'compatible'`);
 * - an **overlap** (the clock goes back, e.g. 01:30 happens twice) resolves to the **earlier** instant;
 * - the **start of a local day** is its first existing instant: for America/Santiago on 2026-09-06, where the day starts
 *   at 01:00 because midnight does not exist, that is 01:00 -03 (04:00Z), never 23:00 of the day before.
 */
import { tzOffset } from '@date-fns/tz';

const MINUTE = 60_000;
const DAY = 86_400_000;

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz.length > 0 && tz.length <= 64;
  } catch {
    return false;
  }
}

/** Offset of the zone from UTC at the instant, in milliseconds (seconds-precise for historical local mean times). */
function offsetMs(t: number, timeZone: string): number {
  return Math.round(tzOffset(timeZone, new Date(t)) * MINUTE);
}

/** The local wall clock of the instant, as a Date whose UTC fields are the local fields. */
function wall(d: Date, timeZone: string): Date {
  return new Date(d.getTime() + offsetMs(d.getTime(), timeZone));
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const ymd = (w: Date) => `${pad(w.getUTCFullYear(), 4)}-${pad(w.getUTCMonth() + 1)}-${pad(w.getUTCDate())}`;
const hm = (w: Date) => `${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}`;

/** YYYY-MM-DD of the instant in the zone. */
export function localDate(d: Date, timeZone: string): string {
  return ymd(wall(d, timeZone));
}

/** "HH:MM" local wall-clock time. */
export function localTime(d: Date, timeZone: string): string {
  return hm(wall(d, timeZone));
}

/** Local date-time "YYYY-MM-DD HH:MM" for reports. */
export function localDateTime(d: Date, timeZone: string): string {
  const w = wall(d, timeZone);
  return `${ymd(w)} ${hm(w)}`;
}

/**
 * The UTC instant of local wall-clock `date` + `time` ("HH:MM") in the zone, by the rule above: the instants whose
 * offset agrees with the wall time are the candidates (two in an overlap: the earlier wins); none means a gap, resolved
 * with the offset in force before it, which lands after the jump by the gap's length.
 */
export function zonedInstant(date: string, time: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = time.split(':').map(Number) as [number, number];
  const w = Date.UTC(y, m - 1, d, hh, mm);
  const before = offsetMs(w - DAY, timeZone);
  const after = offsetMs(w + DAY, timeZone);
  const tries = before === after ? [w - before] : [w - before, w - after];
  const candidates = tries.filter((t) => offsetMs(t, timeZone) === w - t);
  if (candidates.length > 0) return new Date(Math.min(...candidates));
  return new Date(w - before);
}

/**
 * The first existing instant of the local date: local midnight (the earlier one if midnight happens twice), or, where
 * midnight falls in a gap, the instant the clock jumps — the first moment whose local date is `date`.
 */
export function startOfLocalDay(date: string, timeZone: string): Date {
  const guess = zonedInstant(date, '00:00', timeZone).getTime();
  if (localDateTime(new Date(guess), timeZone) === `${date} 00:00`) return new Date(guess);
  // Midnight is in a gap: the day began at the jump, somewhere in (guess − 1 day, guess]. Search it to the millisecond.
  let lo = guess - DAY;
  let hi = guess;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDate(new Date(mid), timeZone) >= date) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

/** The first and last years any date or instant may carry (README, "Dates"): outside them the API answers 400. */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2200;

/** A real calendar date in YYYY-MM-DD form (rejects 2025-02-30) within MIN_YEAR..MAX_YEAR. */
export function isCalendarDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const [y, m, d] = s.split('-').map(Number) as [number, number, number];
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d && y >= MIN_YEAR && y <= MAX_YEAR;
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}
