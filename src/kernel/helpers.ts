import { notFound, preconditionFailed, validationError } from '../core/errors.js';
import { isUuid } from '../core/ids.js';
import { isCalendarDate } from '../core/time.js';

/** Small steps every service shares (not specific to one resource). */

/** The actor fields of an audit row. */
export { auditActor as actor } from '../db/audit.repository.js';

/** A malformed id is simply not found, like another tenant's. */
export function requireId(id: string, what: string): string {
  if (!isUuid(id)) throw notFound(what);
  return id.toLowerCase();
}

/** If-Match: absent (undefined) always passes; otherwise the row's version must be the one the client saw. */
export function checkIfMatch(version: number, ifMatch: number | undefined) {
  if (ifMatch !== undefined && version !== ifMatch) throw preconditionFailed();
}

export const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Keeps only the keys a PATCH actually sent (undefined = not sent; null = clear). */
export function sent<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface ListOptions {
  limit: number;
  cursor?: string;
  includeArchived?: boolean;
}

/** The longest date range a report or a rollup query may span. */
export const MAX_REPORT_DAYS = 366;

const days = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;

/** A date range of real dates, `from` ≤ `to`, at most `max` days. */
export function checkRange(from: string, to: string, max: number) {
  if (!isCalendarDate(from)) throw validationError('from must be a real date', [{ path: 'from', message: 'must be a real date (YYYY-MM-DD)' }]);
  if (!isCalendarDate(to)) throw validationError('to must be a real date', [{ path: 'to', message: 'must be a real date (YYYY-MM-DD)' }]);
  if (from > to) throw validationError('from must not be after to', [{ path: 'from', message: 'must not be after to' }]);
  if (days(from, to) > max) throw validationError(`The range is longer than ${max} days`, [{ path: 'to', message: `at most ${max} days after from` }]);
}
