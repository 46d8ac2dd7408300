import { z } from '@hono/zod-openapi';
import { str } from '../../core/strings.js';
import { UUID_RE } from '../../core/ids.js';
import { ABSENCE_REASONS } from '../../models/enums.js';
import { CalendarDate, ListQuery } from '../../api/routes/registry.js';

/** Request and response schemas of the absence routes. */

const id = str().regex(UUID_RE, 'must be an id');

export const AbsenceCreate = z
  .object({
    studentId: str().max(100),
    date: CalendarDate.openapi({ description: 'The centre’s local date' }),
    reason: z.enum(ABSENCE_REASONS),
    note: str().trim().max(1000).nullable().optional(),
  })
  .strict()
  .openapi('AbsenceCreate');

export const Absence = z
  .object({
    id: str(),
    studentId: str(),
    date: str(),
    reason: z.enum(ABSENCE_REASONS),
    note: str().nullable(),
    reportedByMembershipId: str(),
    createdAt: str(),
    updatedAt: str(),
    version: z.number().int(),
  })
  .openapi('Absence');

export const AbsenceListQuery = ListQuery.extend({
  from: CalendarDate.optional(),
  to: CalendarDate.optional(),
  studentId: id.optional(),
  roomId: id.optional().openapi({ description: 'The children whose room this is' }),
});
