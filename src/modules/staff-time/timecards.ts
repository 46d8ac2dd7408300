import { addDays, localDate, startOfLocalDay } from '../../core/time.js';

/**
 * The centre's rule for timecards (README, "The centre's rules"): a shift counts on the local dates it covers, and
 * one that crosses local midnight is split there, so 22:00–06:00 gives 120 minutes to the first day and 360 to the
 * next. Minutes are whole minutes of the summed time per day, rounded down.
 */
export interface Interval {
  start: Date;
  end: Date;
}

/** Milliseconds of `iv` falling on each local date of the zone. */
export function splitAtLocalMidnight(iv: Interval, timeZone: string): Map<string, number> {
  const out = new Map<string, number>();
  let cursor = iv.start;
  // A shift is bounded (a day's work), but guard against a pathological record: at most 400 days.
  for (let i = 0; i < 400 && cursor < iv.end; i++) {
    const day = localDate(cursor, timeZone);
    const nextMidnight = startOfLocalDay(addDays(day, 1), timeZone);
    const pieceEnd = nextMidnight < iv.end && nextMidnight > cursor ? nextMidnight : iv.end;
    out.set(day, (out.get(day) ?? 0) + (pieceEnd.getTime() - cursor.getTime()));
    cursor = pieceEnd;
  }
  return out;
}

export const wholeMinutes = (ms: number) => Math.floor(ms / 60_000);
