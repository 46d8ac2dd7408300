import { access } from '../auth/access.js';
import type { Actor } from '../core/context.js';
import { notFound, unprocessable } from '../core/errors.js';
import { isUuid } from '../core/ids.js';
import { localDate } from '../core/time.js';
import { centreDayRepository as repo } from '../db/centre-day.repository.js';
import type { Tx } from '../db/db.js';
import type { StudentStatus } from '../models/enums.js';

/**
 * The centre's day, owned once for attendance, absences, the care log, incidents, staff time and messages: the rule for
 * a client-given instant, the centre's time zone and local date, and the child or room as the actor may see them.
 * In the kernel (not a module) because every module of the day imports it directly, as it does versioned-change.ts:
 * a module's values cross to another module only through the container.
 */

/** Clocks of tablets at the door drift: an instant up to this far ahead of ours is still "now". */
const FUTURE_SKEW_MS = 5 * 60 * 1000;

/** Whether `at` lies further ahead of `now` than a drifting clock explains. */
export function isTooFarAhead(at: Date, now: Date): boolean {
  return at.getTime() - now.getTime() > FUTURE_SKEW_MS;
}

/**
 * A client-given instant (ISO 8601), or `now` when none was given: not a date-time → 422, more than 5 minutes ahead
 * of `now` → 422 (CONTRACT §5: "a time more than 5 minutes in the future → 422"), both naming `field`.
 */
export function clientInstant(value: string | undefined, field: string, now: Date): Date {
  const at = value === undefined ? now : new Date(value);
  if (Number.isNaN(at.getTime())) throw unprocessable('Not a valid time', [{ path: field, message: 'must be an ISO 8601 date-time' }]);
  if (isTooFarAhead(at, now)) throw unprocessable('The time is in the future', [{ path: field, message: 'must not be more than 5 minutes ahead' }]);
  return at;
}

/** The centre's IANA time zone ('UTC' when it has none), read in the caller's transaction. */
export async function centreTimeZone(tx: Tx, tenantId: string): Promise<string> {
  return (await repo.timezone(tx, tenantId)) ?? 'UTC';
}

/** The centre's local date (YYYY-MM-DD) of the instant: the `date` of a stay, an entry, a shift; today at `now`. */
export async function centreDate(tx: Tx, tenantId: string, at: Date): Promise<string> {
  return localDate(at, await centreTimeZone(tx, tenantId));
}

/** What visibility depends on: the centre, the caller's email and whether they are only a guardian. */
type Viewer = Pick<Actor, 'tenantId' | 'email' | 'guardianOnly'>;

/** A child as the day's services read it. */
export interface DayStudent {
  id: string;
  firstName: string;
  roomId: string | null;
  status: StudentStatus;
  archivedAt: Date | null;
}

/** A room as the day's services read it. */
export interface DayRoom {
  id: string;
  archivedAt: Date | null;
}

/**
 * The child's id (lower case) when the actor may see it, without reading the child: 404 `Student` for a malformed id
 * or a child who is not a guardian's own (auth/access.ts); whether the centre has the child is the caller's read.
 */
export async function visibleStudentId(tx: Tx, ctx: Viewer, rawId: string): Promise<string> {
  if (!isUuid(rawId)) throw notFound('Student');
  const id = rawId.toLowerCase();
  await access.assertStudentVisible(tx, ctx, id);
  return id;
}

/** The child as the actor may see them: 404 `Student` for a malformed id, another centre's child or not a guardian's own. */
export async function visibleStudent(tx: Tx, ctx: Viewer, rawId: string): Promise<DayStudent> {
  const id = await visibleStudentId(tx, ctx, rawId);
  const row = await repo.student(tx, ctx.tenantId, id);
  if (!row) throw notFound('Student');
  return row;
}

/** The room's id (lower case) when the actor may see it, without reading the room: a guardian sees their children's rooms. */
export async function visibleRoomId(tx: Tx, ctx: Viewer, rawId: string): Promise<string> {
  if (!isUuid(rawId)) throw notFound('Room');
  const id = rawId.toLowerCase();
  await access.assertRoomVisible(tx, ctx, id);
  return id;
}

/** The room as the actor may see it (archived ones too): 404 `Room` for a malformed id, another centre's room or not a guardian's. */
export async function visibleRoom(tx: Tx, ctx: Viewer, rawId: string): Promise<DayRoom> {
  const id = await visibleRoomId(tx, ctx, rawId);
  const row = await repo.room(tx, ctx.tenantId, id);
  if (!row) throw notFound('Room');
  return row;
}

/** The children the actor may see: null = the whole centre (staff), else a guardian's own (lists filter by it). */
export const visibleStudentIds = (tx: Tx, ctx: Viewer) => access.visibleStudentIds(tx, ctx);

/** The rooms the actor may see: null = every room (staff), else the rooms of a guardian's own children. */
export const visibleRoomIds = (tx: Tx, ctx: Viewer) => access.visibleRoomIds(tx, ctx);
