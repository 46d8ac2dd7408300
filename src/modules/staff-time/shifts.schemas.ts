import { z } from '@hono/zod-openapi';
import { str } from '../../core/strings.js';
import { CalendarDate, Instant, Timestamps } from '../../api/routes/registry.js';

/** Request and response schemas of staff time: clock-in, move, clock-out and timecards. */
const instant = Instant.openapi({ example: '2026-03-09T07:55:00Z', description: 'ISO 8601 instant; defaults to now (at most 5 minutes ahead)' });

export const Shift = z
  .object({
    ...Timestamps,
    staffId: str(),
    roomId: str(),
    date: str().openapi({ description: 'The local date of the clock-in in the centre’s time zone', example: '2026-03-09' }),
    clockInAt: str(),
    clockOutAt: str().nullable(),
    clockedInByMembershipId: str().nullable(),
    clockedOutByMembershipId: str().nullable(),
  })
  .openapi('Shift');

export const ClockIn = z.object({ roomId: str().max(100), at: instant.optional() }).strict().openapi('ClockIn');
export const StaffMove = z.object({ roomId: str().max(100), at: instant.optional() }).strict().openapi('StaffMove');
export const ClockOut = z.object({ at: instant.optional() }).strict().openapi('ClockOut');

export const TimecardQuery = z.object({
  from: CalendarDate.optional().openapi({ description: 'Default: 6 days before `to`' }),
  to: CalendarDate.optional().openapi({ description: 'Default: 6 days after `from`, or today (local)' }),
  staffId: str().max(100).optional(),
});

export const Timecards = z
  .object({
    from: str(),
    to: str(),
    items: z.array(
      z
        .object({
          staffId: str(),
          date: str(),
          minutes: z.number().int().openapi({ description: 'Minutes of ended shifts on this local date (a shift over midnight is split there)' }),
          shifts: z.array(Shift),
        })
        .openapi('Timecard'),
    ),
  })
  .openapi('Timecards');
