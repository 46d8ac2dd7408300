import { z } from '@hono/zod-openapi';
import { str } from '../../core/strings.js';
import { ABSENCE_REASONS, AGE_GROUPS } from '../../models/enums.js';
import { Name, Stamps } from '../../api/routes/registry.js';

/** Request and response schemas of the rooms routes (rooms.routes.ts). */

const roomFields = {
  name: Name,
  capacity: z.number().int().min(1, 'must be a positive whole number').max(10_000),
  ageGroup: z.enum(AGE_GROUPS).nullable().optional(),
  ratio: z.number().int().min(1, 'must be a positive whole number').max(1000).nullable().optional().openapi({ description: 'Children per member of staff' }),
};
export const RoomCreate = z.object(roomFields).strict().openapi('RoomCreate');
export const RoomPatch = z.object(roomFields).partial().strict().openapi('RoomPatch');
export const Room = z
  .object({
    id: str(),
    name: str(),
    capacity: z.number().int(),
    ageGroup: z.enum(AGE_GROUPS).nullable(),
    ratio: z.number().int().nullable(),
    archivedAt: str().nullable(),
    ...Stamps,
  })
  .openapi('Room');

export const Roster = z
  .object({
    room: z.object({ id: str(), name: str(), capacity: z.number().int(), ageGroup: str().nullable(), ratio: z.number().int().nullable() }),
    present: z.array(z.object({ id: str(), firstName: str(), lastName: str(), attendanceId: str(), checkInAt: str() })),
    absent: z
      .array(z.object({ studentId: str(), firstName: str(), lastName: str(), reason: z.enum(ABSENCE_REASONS), note: str().nullable(), absenceId: str() }))
      .openapi({ description: 'The room’s children marked absent today (the centre’s local date), with the reason' }),
    presentCount: z.number().int().openapi({ description: 'Children in the room now (a guardian’s `present` lists only their own)' }),
    staffOnDuty: z.number().int(),
    staff: z.array(z.object({ id: str(), firstName: str(), lastName: str() })),
    ratio: z.object({
      required: z.number().int().openapi({ description: 'Staff needed: ceil(presentCount / childrenPerStaff)' }),
      actual: z.number().int(),
      compliant: z.boolean(),
      childrenPerStaff: z.number().int(),
      source: z.enum(['room', 'ageGroup', 'default']).openapi({ description: 'The room’s own ratio, its age group’s default, or the preschool fallback' }),
    }),
  })
  .openapi('Roster');
