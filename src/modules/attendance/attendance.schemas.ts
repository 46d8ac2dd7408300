import { z } from '@hono/zod-openapi';
import { str } from '../../core/strings.js';
import { isCalendarDate } from '../../core/time.js';
import { ATTENDANCE_METHODS } from '../../models/enums.js';
import { CalendarDate, Instant, ListQuery, Timestamps } from '../../api/routes/registry.js';

/** Request and response schemas of the attendance routes (attendance.routes.ts), the daily rollups included. */

const uuid = str().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID');
const instant = Instant.openapi({ example: '2026-03-09T08:15:00Z', description: 'ISO 8601 instant; defaults to now' });
const note = str().trim().max(1000);

export const AttendanceRecord = z
  .object({
    ...Timestamps,
    studentId: str(),
    roomId: str().nullable(),
    date: str().openapi({ description: 'The local date of the check-in in the centre’s time zone', example: '2026-03-09' }),
    checkInAt: str(),
    checkOutAt: str().nullable(),
    checkedInByMembershipId: str().nullable(),
    checkedOutByMembershipId: str().nullable(),
    droppedOffByGuardianId: str().nullable(),
    pickedUpByGuardianId: str().nullable(),
    method: z.enum(ATTENDANCE_METHODS).openapi({ description: 'staff: checked by a member in the app; kiosk: by an adult with their PIN at the door' }),
    note: str().nullable(),
    movedToRoomId: str().nullable().openapi({ description: 'Set when a move closed this stay: the room the child went to' }),
  })
  .openapi('AttendanceRecord');

export const MoveBody = z.object({ studentId: str().max(100), roomId: str().max(100), at: instant.optional() }).strict();

export const Rollup = z
  .object({
    roomId: str(),
    date: str(),
    childrenPresent: z.number().int(),
    totalMinutes: z.number().int(),
    peakCount: z.number().int(),
    ratioBreaches: z.number().int().openapi({ description: 'Check-ins after which the room held more children than its staff may look after' }),
    staffMinutes: z.number().int().openapi({ description: 'Minutes staff were clocked in to the room that day' }),
    outOfRatioMinutes: z.number().int().openapi({ description: 'Minutes the room held more children than its clocked-in staff may look after' }),
  })
  .openapi('AttendanceRollup');

export const RollupsQuery = z.object({
  from: CalendarDate.optional().openapi({ description: 'Default: 30 days before `to`' }),
  to: CalendarDate.optional().openapi({ description: 'Default: 30 days after `from`, or today' }),
  roomId: str().max(100).optional(),
});
export const RollupPage = z.object({ items: z.array(Rollup), nextCursor: str().nullable() });

export const CheckInBody = z.object({ studentId: str().max(100), at: instant.optional(), note: note.optional(), droppedOffByGuardianId: str().max(100).optional() }).strict();
export const CheckOutBody = z.object({ studentId: str().max(100), at: instant.optional(), pickedUpByGuardianId: str().max(100).optional() }).strict();

export const AttendanceListQuery = ListQuery.extend({
  date: str().refine(isCalendarDate, 'must be a real date YYYY-MM-DD').optional(),
  roomId: uuid.optional(),
  studentId: uuid.optional(),
});

export const AttendanceCorrection = z
  .object({ checkInAt: instant.optional(), checkOutAt: instant.optional(), note: note.nullable().optional(), reason: str().trim().min(1, 'is required').max(500) })
  .strict()
  .refine((b) => b.checkInAt !== undefined || b.checkOutAt !== undefined || b.note !== undefined, { message: 'change at least one of checkInAt, checkOutAt, note' });
