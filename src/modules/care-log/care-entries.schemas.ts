import { z } from '@hono/zod-openapi';
import { CARE_DETAILS } from '../../core/care-details.js';
import { UUID_RE } from '../../core/ids.js';
import { str } from '../../core/strings.js';
import { CARE_ENTRY_TYPES, MOODS } from '../../models/enums.js';
import type { AbsenceDto, AttendanceDto } from '../attendance/index.js';
import { CalendarDate, Instant } from '../../api/routes/registry.js';

/** Request and response schemas of the care log and the daily report. */

const instant = Instant.openapi({ example: '2026-03-09T12:15:00Z' });
const note = str().trim().max(2000).nullable().optional();

/** One branch per type: `details` must fit the type (wrong details → 400), and is optional only for nap and note. */
function byType<E extends z.ZodRawShape>(extra: E) {
  const branch = <T extends keyof typeof CARE_DETAILS>(type: T, optional: boolean) =>
    z
      .object({ type: z.literal(type), details: optional ? CARE_DETAILS[type].optional() : CARE_DETAILS[type], ...extra })
      .strict();
  return z.discriminatedUnion('type', [
    branch('meal', false),
    branch('bottle', false),
    branch('nap', true),
    branch('diaper', false),
    branch('toilet', false),
    branch('mood', false),
    branch('activity', false),
    branch('note', true),
  ]);
}

export const CareEntryCreate = byType({
  at: instant.optional().openapi({ description: 'Default now; at most 5 minutes ahead' }),
  endAt: instant.nullable().optional().openapi({ description: 'Not before `at` (a nap may get it later by PATCH)' }),
  note,
  visibleToGuardians: z.boolean().optional().openapi({ description: 'Default true; false = staff only' }),
}).openapi('CareEntryCreate');

export const RoomCareEntryCreate = byType({
  at: instant.optional(),
  note,
  visibleToGuardians: z.boolean().optional(),
  studentIds: z
    .array(str().regex(UUID_RE, 'must be an id'))
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: 'Default: every child present in the room now' }),
}).openapi('RoomCareEntryCreate');

export const CareEntryPatch = z
  .object({
    at: instant.optional(),
    endAt: instant.nullable().optional(),
    details: z.record(str(), z.unknown()).optional().openapi({ description: 'Must fit the entry’s type (400 otherwise)' }),
    note,
    visibleToGuardians: z.boolean().optional(),
  })
  .strict()
  .openapi('CareEntryPatch');

export const CareEntry = z
  .object({
    id: str(),
    studentId: str(),
    type: z.enum(CARE_ENTRY_TYPES),
    at: str(),
    endAt: str().nullable(),
    date: str(),
    details: z.record(str(), z.unknown()),
    note: str().nullable(),
    visibleToGuardians: z.boolean(),
    recordedByMembershipId: str(),
    createdAt: str(),
    updatedAt: str(),
    version: z.number().int(),
  })
  .openapi('CareEntry');

export const CareEntryBatch = z.object({ items: z.array(CareEntry) }).openapi('CareEntryBatch');

export const DayQuery = z.object({ date: CalendarDate.optional().openapi({ description: 'The centre’s local date; default today' }) });

/**
 * What the daily report embeds of attendance: its AttendanceRecord and Absence schemas themselves (the document names
 * each once and refers to it), handed in by the manifest (attendance's module.ts exports them).
 */
export interface EmbeddedAttendanceSchemas {
  AttendanceRecord: z.ZodType<AttendanceDto>;
  Absence: z.ZodType<AbsenceDto>;
}

export function dailyReportSchema({ AttendanceRecord, Absence }: EmbeddedAttendanceSchemas) {
  return z
    .object({
      date: str(),
      studentId: str(),
      attendance: z.array(AttendanceRecord).openapi({ description: 'The day’s stays, in order (a move starts a new one)' }),
      absence: Absence.nullable(),
      entries: z.array(CareEntry),
      summary: z
        .object({
          meals: z.number().int().openapi({ description: 'Meal entries, any amount' }),
          bottleMl: z.number().int().openapi({ description: 'Sum of bottle ml' }),
          napMinutes: z.number().int().openapi({ description: 'Whole minutes of naps that have ended (each nap rounded down)' }),
          diapers: z.number().int(),
          toilet: z.number().int(),
          lastMood: z.enum(MOODS).nullable().openapi({ description: 'The mood of the latest mood entry' }),
        })
        .openapi('DailyReportSummary'),
    })
    .openapi('DailyReport');
}
