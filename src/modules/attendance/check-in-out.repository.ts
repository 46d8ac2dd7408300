import { absences, attendance } from '../../models/index.js';
import { selectList } from '../../db/columns-sql.js';
import { queryRows, type Tx } from '../../db/db.js';
import type { AbsenceRow } from './absences.repository.js';
import type { AttendanceRow } from './attendance.repository.js';

/**
 * The check-in's and check-out's statements, written as SQL (issue 28: the kiosk's morning): what the check-in reads before its room
 * lock in one statement, and its checks, the insert and the removal of the day's absence in one more. Every statement
 * names the tenant as well as running under row-level security; rows come back through the checked mappers below.
 */

/**
 * The database's clock, the child, the named adult's link, the centre's time zone, the child's viewers (the
 * notification's recipients) and the child's room, locked: check-ins into one room run one at a time, so its capacity
 * holds under concurrency. The counts that depend on the lock are read by the next statement (a fresh snapshot).
 */
const FACTS = `with s as (select id, room_id, status, archived_at, first_name from students where tenant_id = $1 and id = $2),
  r as (select id, capacity from rooms where tenant_id = $1 and id = (select room_id from s) for update)
  select to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as now,
    s.id as "studentId", s.room_id as "roomId", s.status, s.archived_at as "archivedAt", s.first_name as "firstName",
    (select timezone from tenants where id = $1) as timezone,
    case when $3::uuid is null then null else exists (select 1 from student_guardians sg where sg.tenant_id = $1 and sg.student_id = $2 and sg.guardian_id = $3::uuid) end as linked,
    array(select sg.guardian_id from student_guardians sg join guardians g on g.tenant_id = sg.tenant_id and g.id = sg.guardian_id
      where sg.tenant_id = $1 and sg.student_id = $2 and sg.can_view_records and g.archived_at is null order by sg.guardian_id)::text[] as viewers,
    r.id as "lockedRoomId", r.capacity
  from (select 1) one left join s on true left join r on true`;

export interface CheckInFacts {
  now: Date;
  student: { id: string; roomId: string | null; status: string; archivedAt: Date | null; firstName: string } | undefined;
  timezone: string | null;
  /** null when no adult was named. */
  linked: boolean | null;
  viewers: string[];
  room: { id: string; capacity: number } | undefined;
}

const COLS = selectList(attendance);
const INSERT_COLUMNS = ['id', 'tenant_id', 'student_id', 'room_id', 'date', 'check_in_at', 'checked_in_by_membership_id', 'dropped_off_by_guardian_id', 'method', 'note', 'created_at', 'updated_at'];
/**
 * After the room's lock: the child's open stay, the room's children, the child's last check-out; the stay is inserted
 * only if they allow it, and then the child's absence on that day goes (the child is here). One statement.
 * $1 tenant, $2 student, $3 room (or null), $4 capacity (or null), $5 the check-in time, $6…$12 the rest of the row.
 */
const CHECK_AND_INSERT = `with st as (select
      exists (select 1 from attendance where tenant_id = $1 and student_id = $2 and check_out_at is null) as open,
      case when $3::uuid is null then 0 else (select count(*)::int from attendance where tenant_id = $1 and room_id = $3::uuid and check_out_at is null) end as "inRoom",
      (select max(check_out_at) from attendance where tenant_id = $1 and student_id = $2) as "lastOut"),
  ins as (insert into attendance (${INSERT_COLUMNS.join(', ')})
    select $6::uuid, $1::uuid, $2::uuid, $3::uuid, $7::date, $5::timestamptz, $8::uuid, $9::uuid, $10, $11, $12::timestamptz, $12::timestamptz from st
    where not st.open and ($4::int is null or st."inRoom" < $4::int) and (st."lastOut" is null or date_trunc('milliseconds', st."lastOut") <= $5::timestamptz)
    returning ${COLS}),
  del as (delete from absences where tenant_id = $1 and student_id = $2 and date = $7::date and exists (select 1 from ins) returning ${selectList(absences)})
  select st.open, st."inRoom", st."lastOut", (select row_to_json(ins) from ins) as inserted, (select row_to_json(del) from del) as removed from st`;

export interface CheckInOutcome {
  open: boolean;
  inRoom: number;
  lastOut: Date | null;
  row: AttendanceRow | undefined;
  removedAbsence: AbsenceRow | undefined;
}

export interface CheckInValues {
  id: string;
  tenantId: string;
  studentId: string;
  room: { id: string; capacity: number } | undefined;
  date: string;
  checkInAt: Date;
  checkedInByMembershipId: string | null;
  droppedOffByGuardianId: string | null;
  method: string;
  note: string | null;
  now: Date;
}

/**
 * The check-out's reads in one statement: the database's clock, the child, the child's open stay, locked (a concurrent
 * check-out that closed it meanwhile leaves none), the named adult's link and the child's viewers.
 */
const CHECK_OUT_FACTS = `with s as (select id, first_name from students where tenant_id = $1 and id = $2),
  o as (select ${COLS} from attendance where tenant_id = $1 and student_id = (select id from s) and check_out_at is null for update)
  select to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as now, s.id as "studentId", s.first_name as "firstName",
    case when $3::uuid is null then null else (select sg.authorized_pickup from student_guardians sg where sg.tenant_id = $1 and sg.student_id = $2 and sg.guardian_id = $3::uuid) end as "authorizedPickup",
    array(select sg.guardian_id from student_guardians sg join guardians g on g.tenant_id = sg.tenant_id and g.id = sg.guardian_id
      where sg.tenant_id = $1 and sg.student_id = $2 and sg.can_view_records and g.archived_at is null order by sg.guardian_id)::text[] as viewers,
    (select row_to_json(o) from o) as open
  from (select 1) one left join s on true`;

export interface CheckOutFacts {
  now: Date;
  student: { id: string; firstName: string } | undefined;
  /** null when no adult was named or the adult is not linked. */
  authorizedPickup: boolean | null;
  viewers: string[];
  open: AttendanceRow | undefined;
}

export const checkInRepository = {
  async checkOutFacts(tx: Tx, tenantId: string, studentId: string, guardianId: string | null): Promise<CheckOutFacts> {
    const [row] = await queryRows<Record<string, unknown>>(tx, CHECK_OUT_FACTS, [tenantId, studentId, guardianId]);
    return checkOutFactsOf(row);
  },

  async facts(tx: Tx, tenantId: string, studentId: string, guardianId: string | null): Promise<CheckInFacts> {
    const [row] = await queryRows<Record<string, unknown>>(tx, FACTS, [tenantId, studentId, guardianId]);
    return factsOf(row);
  },

  /** The checks and the insert in one statement: `row` is undefined when a check refused it (the caller says which). */
  async checkAndInsert(tx: Tx, v: CheckInValues): Promise<CheckInOutcome> {
    const [row] = await queryRows<Record<string, unknown>>(tx, CHECK_AND_INSERT, [
      v.tenantId,
      v.studentId,
      v.room?.id ?? null,
      v.room?.capacity ?? null,
      v.checkInAt,
      v.id,
      v.date,
      v.checkedInByMembershipId,
      v.droppedOffByGuardianId,
      v.method,
      v.note,
      v.now,
    ]);
    return outcomeOf(row);
  },
};

// The checked mappers: a statement that answers another shape fails loudly here, not somewhere downstream.
function need<T>(row: Record<string, unknown>, key: string, check: (v: unknown) => boolean, what: string): T {
  const v = row[key];
  if (!check(v)) throw new Error(`check-in statement: ${key} is not ${what}`);
  return v as T;
}
const isStr = (v: unknown) => typeof v === 'string';
const isNum = (v: unknown) => typeof v === 'number';
const isBool = (v: unknown) => typeof v === 'boolean';
const orNull = (f: (v: unknown) => boolean) => (v: unknown) => v === null || f(v);
const isDate = (v: unknown) => v instanceof Date;
const isObject = (v: unknown) => typeof v === 'object' && v !== null;

export function factsOf(row: Record<string, unknown> | undefined): CheckInFacts {
  if (!row) throw new Error('check-in statement: no row');
  const studentId = need<string | null>(row, 'studentId', orNull(isStr), 'a uuid');
  const roomId = need<string | null>(row, 'lockedRoomId', orNull(isStr), 'a uuid');
  return {
    now: new Date(need<string>(row, 'now', isStr, 'a time')),
    student: studentId
      ? {
          id: studentId,
          roomId: need<string | null>(row, 'roomId', orNull(isStr), 'a uuid'),
          status: need<string>(row, 'status', isStr, 'a status'),
          archivedAt: need<Date | null>(row, 'archivedAt', orNull(isDate), 'a time'),
          firstName: need<string>(row, 'firstName', isStr, 'a name'),
        }
      : undefined,
    timezone: need<string | null>(row, 'timezone', orNull(isStr), 'a time zone'),
    linked: need<boolean | null>(row, 'linked', orNull(isBool), 'a boolean'),
    viewers: need<string[]>(row, 'viewers', (v) => Array.isArray(v) && v.every(isStr), 'uuids'),
    room: roomId ? { id: roomId, capacity: need<number>(row, 'capacity', isNum, 'a number') } : undefined,
  };
}

/** row_to_json's timestamps are ISO text without the `Z` PostgreSQL's session time zone would add: read as Dates. */
const at = (v: unknown) => (v === null || v === undefined ? null : new Date(String(v)));

const attendanceOf = (r: Record<string, unknown>) =>
  ({ ...r, checkInAt: at(r.checkInAt)!, checkOutAt: at(r.checkOutAt), createdAt: at(r.createdAt)!, updatedAt: at(r.updatedAt)! }) as AttendanceRow;

export function checkOutFactsOf(row: Record<string, unknown> | undefined): CheckOutFacts {
  if (!row) throw new Error('check-out statement: no row');
  const studentId = need<string | null>(row, 'studentId', orNull(isStr), 'a uuid');
  const open = need<Record<string, unknown> | null>(row, 'open', orNull(isObject), 'a row');
  return {
    now: new Date(need<string>(row, 'now', isStr, 'a time')),
    student: studentId ? { id: studentId, firstName: need<string>(row, 'firstName', isStr, 'a name') } : undefined,
    authorizedPickup: need<boolean | null>(row, 'authorizedPickup', orNull(isBool), 'a boolean'),
    viewers: need<string[]>(row, 'viewers', (v) => Array.isArray(v) && v.every(isStr), 'uuids'),
    open: open ? attendanceOf(open) : undefined,
  };
}

export function outcomeOf(row: Record<string, unknown> | undefined): CheckInOutcome {
  if (!row) throw new Error('check-in statement: no row');
  const ins = need<Record<string, unknown> | null>(row, 'inserted', orNull(isObject), 'a row');
  const del = need<Record<string, unknown> | null>(row, 'removed', orNull(isObject), 'a row');
  return {
    open: need<boolean>(row, 'open', isBool, 'a boolean'),
    inRoom: need<number>(row, 'inRoom', isNum, 'a number'),
    lastOut: need<Date | null>(row, 'lastOut', orNull(isDate), 'a time'),
    row: ins ? attendanceOf(ins) : undefined,
    removedAbsence: del ? ({ ...del, createdAt: at(del.createdAt)!, updatedAt: at(del.updatedAt)! } as AbsenceRow) : undefined,
  };
}
