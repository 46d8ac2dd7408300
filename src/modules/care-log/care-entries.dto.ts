import type { CareEntryType, Mood } from '../../models/enums.js';
import type { CareEntryRow } from './care-entries.repository.js';

export const careEntryDto = (r: CareEntryRow) => ({
  id: r.id,
  studentId: r.studentId,
  type: r.type,
  at: r.at.toISOString(),
  endAt: r.endAt ? r.endAt.toISOString() : null,
  date: r.date,
  details: r.details,
  note: r.note,
  visibleToGuardians: r.visibleToGuardians,
  recordedByMembershipId: r.recordedByMembershipId,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  version: r.version,
});
export type CareEntryDto = ReturnType<typeof careEntryDto>;

export interface CareEntryInput {
  type: CareEntryType;
  at?: string;
  endAt?: string | null;
  details?: Record<string, unknown>;
  note?: string | null;
  visibleToGuardians?: boolean;
}
export interface RoomCareEntryInput extends Omit<CareEntryInput, 'endAt'> {
  studentIds?: string[];
}
export interface CareEntryPatchInput {
  at?: string;
  endAt?: string | null;
  details?: Record<string, unknown>;
  note?: string | null;
  visibleToGuardians?: boolean;
}

export interface DailySummary {
  meals: number;
  bottleMl: number;
  napMinutes: number;
  diapers: number;
  toilet: number;
  lastMood: Mood | null;
}

/**
 * The daily summary, in one pass over the day's entries (already filtered to what the reader may see):
 * meals, diapers and toilet count entries of any amount or kind; bottleMl sums the bottles; napMinutes adds the whole
 * minutes of each nap that has ended (rounded down, a nap still running counts nothing); lastMood is the mood of the
 * latest mood entry by `at`.
 */
export function summarize(entries: readonly Pick<CareEntryRow, 'type' | 'at' | 'endAt' | 'details'>[]): DailySummary {
  const s: DailySummary = { meals: 0, bottleMl: 0, napMinutes: 0, diapers: 0, toilet: 0, lastMood: null };
  let moodAt = -Infinity;
  for (const e of entries) {
    if (e.type === 'meal') s.meals++;
    else if (e.type === 'diaper') s.diapers++;
    else if (e.type === 'toilet') s.toilet++;
    else if (e.type === 'bottle') s.bottleMl += Number((e.details as { ml?: number }).ml ?? 0);
    else if (e.type === 'nap' && e.endAt) s.napMinutes += Math.floor((e.endAt.getTime() - e.at.getTime()) / 60_000);
    else if (e.type === 'mood' && e.at.getTime() >= moodAt) {
      moodAt = e.at.getTime();
      s.lastMood = (e.details as { mood?: Mood }).mood ?? null;
    }
  }
  return s;
}
