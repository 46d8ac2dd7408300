import { isUuid } from '../../core/ids.js';
import { birthDateProblem, NOT_A_ROOM, STUDENT_LIMITS } from './students.rules.js';
import { canonicalEmail } from '../../core/email.js';
import { INVISIBLE_OR_BIDI } from '../../core/strings.js';

/** The rows of a students import CSV: columns, and one row's validation by the students' rules. */

/** The columns of a students import CSV (header names are matched case-insensitively, in any order). */
const REQUIRED_COLUMNS = ['firstName', 'lastName', 'dateOfBirth'] as const;
const OPTIONAL_COLUMNS = ['externalId', 'roomId', 'status', 'allergies', 'notes'] as const;
const GUARDIAN_COLUMNS = [
  'guardianFirstName',
  'guardianLastName',
  'guardianEmail',
  'guardianPhone',
  'guardianRelationship',
  'guardianAuthorizedPickup',
] as const;
const ALL_COLUMNS = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS, ...GUARDIAN_COLUMNS];
export type Column = (typeof ALL_COLUMNS)[number];

export interface RowError {
  row: number;
  field: string;
  message: string;
}

export interface ImportRow {
  row: number;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  externalId: string | null;
  /** undefined = column absent (leave as is); null = clear. */
  roomId: string | null | undefined;
  status: 'enrolled' | 'withdrawn' | undefined;
  allergies: string | null | undefined;
  notes: string | null | undefined;
  guardian?: {
    firstName: string;
    lastName: string;
    email: string | null;
    phone: string | null;
    relationship: string;
    authorizedPickup: boolean;
  };
}

/** Maps header cells to column positions; unknown columns are ignored. Throws a message for a bad header. */
export function readHeader(cells: string[]): Map<Column, number> {
  const byLower = new Map(ALL_COLUMNS.map((c) => [c.toLowerCase(), c]));
  const map = new Map<Column, number>();
  cells.forEach((raw, i) => {
    const col = byLower.get(raw.trim().toLowerCase());
    if (!col) return;
    if (map.has(col)) throw new Error(`The header names column ${col} twice`);
    map.set(col, i);
  });
  const missing = REQUIRED_COLUMNS.filter((c) => !map.has(c));
  if (missing.length) throw new Error(`The header row is missing the required column(s): ${missing.join(', ')}`);
  return map;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const TRUE = new Set(['true', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'no', 'n', '0', '']);

/** Validates one data row (`row` = 1-based data row number, the header excluded). */
export function validateRow(
  cells: string[],
  header: Map<Column, number>,
  row: number,
  ctx: { today: string; roomIds: Set<string> },
): { ok: ImportRow } | { errors: RowError[] } | { blank: true } {
  if (cells.every((c) => c.trim() === '')) return { blank: true };
  const errors: RowError[] = [];
  const has = (c: Column) => header.has(c);
  const get = (c: Column) => (header.has(c) ? (cells[header.get(c)!] ?? '').trim() : '');
  const err = (field: string, message: string) => errors.push({ row, field, message });
  const text = (c: Column, max: number, required: boolean) => {
    const v = get(c);
    if (!v) {
      if (required) err(c, 'is required');
      return null;
    }
    if (v.length > max) err(c, `must be at most ${max} characters`);
    return v;
  };

  /** A name cell: like the API's names (README, "Names"), no invisible or bidi control characters, stored NFC. */
  const name = (c: Column, max: number) => {
    const v = text(c, max, true);
    if (v && INVISIBLE_OR_BIDI.test(v)) err(c, 'must not contain invisible or bidirectional control characters');
    return v?.normalize('NFC') ?? '';
  };
  const firstName = name('firstName', STUDENT_LIMITS.firstName);
  const lastName = name('lastName', STUDENT_LIMITS.lastName);
  const dateOfBirth = get('dateOfBirth');
  const dobProblem = dateOfBirth ? birthDateProblem(dateOfBirth, ctx.today) : 'is required';
  if (dobProblem) err('dateOfBirth', dobProblem);
  const externalId = text('externalId', STUDENT_LIMITS.externalId, false);
  let roomId: string | null | undefined;
  if (has('roomId')) {
    const v = get('roomId');
    if (!v) roomId = null;
    else if (!isUuid(v) || !ctx.roomIds.has(v.toLowerCase())) err('roomId', NOT_A_ROOM);
    else roomId = v.toLowerCase();
  }
  let status: ImportRow['status'];
  const s = get('status').toLowerCase();
  if (s) {
    if (s === 'enrolled' || s === 'withdrawn') status = s;
    else err('status', 'must be enrolled or withdrawn');
  }
  const allergies = has('allergies') ? text('allergies', STUDENT_LIMITS.allergies, false) : undefined;
  const notes = has('notes') ? text('notes', STUDENT_LIMITS.notes, false) : undefined;

  let guardian: ImportRow['guardian'];
  if (GUARDIAN_COLUMNS.some((c) => get(c) !== '')) {
    const gFirst = name('guardianFirstName', 100);
    const gLast = name('guardianLastName', 100);
    const email = canonicalEmail(get('guardianEmail')) || null;
    if (email && (email.length > 320 || !EMAIL_RE.test(email))) err('guardianEmail', 'must be an email address');
    const phone = text('guardianPhone', 40, false);
    const relationship = text('guardianRelationship', 50, false) ?? 'guardian';
    const pickup = get('guardianAuthorizedPickup').toLowerCase();
    if (!TRUE.has(pickup) && !FALSE.has(pickup)) err('guardianAuthorizedPickup', 'must be true or false');
    guardian = { firstName: gFirst, lastName: gLast, email, phone, relationship, authorizedPickup: TRUE.has(pickup) };
  }
  if (errors.length) return { errors };
  return { ok: { row, firstName, lastName, dateOfBirth, externalId, roomId, status, allergies, notes, guardian } };
}

/** The match key of a row without an external id. */
export const nameKey = (first: string, last: string, dob: string) => `${first.toLowerCase()}\u0000${last.toLowerCase()}\u0000${dob}`;
