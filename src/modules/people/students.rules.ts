import { isCalendarDate } from '../../core/time.js';

/**
 * The rules about a child's fields, shared by every way a child is written (the API and the CSV import), so the two
 * cannot drift apart. Each answers the problem's message, or null.
 */

/**
 * The longest text each field may hold: the API's schemas (students.schemas.ts) and the import's rows read them from
 * here; the names' 100 is the API's shared `Name` (api/routes/registry.ts), which these must not exceed.
 */
export const STUDENT_LIMITS = { firstName: 100, lastName: 100, externalId: 100, allergies: 2000, notes: 5000 } as const;

/** A birth date is a real calendar day that has begun somewhere: not after `today` in the centre's time zone. */
export function birthDateProblem(dateOfBirth: string, today: string): string | null {
  if (!isCalendarDate(dateOfBirth)) return 'must be a real date (YYYY-MM-DD)';
  if (dateOfBirth > today) return 'must not be in the future';
  return null;
}

export const NOT_A_ROOM = 'is not a room of this centre';
