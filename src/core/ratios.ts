/** Mirrors AGE_GROUPS in src/models/centre.ts (core does not import the models). */
export type AgeGroup = 'infant' | 'toddler' | 'preschool' | 'school_age';

/**
 * Children per staff member by age group: the defaults when a room sets no `ratio` of its own. The numbers are a
 * conservative middle of common licensing rules (infant 1:4, toddler 1:6, preschool 1:10, school age 1:15); a centre
 * whose regulator asks for something else sets the room's `ratio`.
 */
export const DEFAULT_RATIOS: Record<AgeGroup, number> = {
  infant: 4,
  toddler: 6,
  preschool: 10,
  school_age: 15,
};

/** A room with neither a ratio nor an age group is treated as a preschool room (1:10). */
export const FALLBACK_AGE_GROUP: AgeGroup = 'preschool';

export interface EffectiveRatio {
  /** Children one staff member may look after in this room. */
  childrenPerStaff: number;
  /** Where the number came from: the room's own setting, its age group's default, or the fallback. */
  source: 'room' | 'ageGroup' | 'default';
}

export function effectiveRatio(room: { ratio: number | null; ageGroup: string | null }): EffectiveRatio {
  if (room.ratio && room.ratio > 0) return { childrenPerStaff: room.ratio, source: 'room' };
  if (room.ageGroup && room.ageGroup in DEFAULT_RATIOS) return { childrenPerStaff: DEFAULT_RATIOS[room.ageGroup as AgeGroup], source: 'ageGroup' };
  return { childrenPerStaff: DEFAULT_RATIOS[FALLBACK_AGE_GROUP], source: 'default' };
}

/** Staff needed for `present` children: ceil(present / ratio); no children need no staff. */
export function requiredStaff(present: number, childrenPerStaff: number): number {
  if (present <= 0) return 0;
  return Math.ceil(present / childrenPerStaff);
}

export function ratioStatus(present: number, staffOnDuty: number, room: { ratio: number | null; ageGroup: string | null }) {
  const eff = effectiveRatio(room);
  const required = requiredStaff(present, eff.childrenPerStaff);
  return { required, actual: staffOnDuty, compliant: staffOnDuty >= required, childrenPerStaff: eff.childrenPerStaff, source: eff.source };
}
