import { z } from '@hono/zod-openapi';
import { str } from '../../core/strings.js';
import { isCalendarDate } from '../../core/time.js';
import { STUDENT_STATUSES } from '../../models/enums.js';
import { GuardianOut } from './guardians.schemas.js';
import { ArchivedListQuery, Id, Name, OptionalText, Stamps } from '../../api/routes/registry.js';
import { STUDENT_LIMITS } from './students.rules.js';

/** Request and response schemas of the students routes (students.routes.ts), the guardian links included. */

const dateOfBirth = str().refine(isCalendarDate, 'must be a real date (YYYY-MM-DD)').openapi({ example: '2021-05-14', format: 'date' });
const studentFields = {
  firstName: Name,
  lastName: Name,
  dateOfBirth,
  roomId: Id.nullable().optional(),
  allergies: OptionalText(STUDENT_LIMITS.allergies),
  notes: OptionalText(STUDENT_LIMITS.notes),
  externalId: str().trim().min(1).max(STUDENT_LIMITS.externalId).nullable().optional(),
  status: z.enum(STUDENT_STATUSES).optional().openapi({ description: 'Default enrolled' }),
};
export const StudentCreate = z.object(studentFields).strict().openapi('StudentCreate');
export const StudentPatch = z.object(studentFields).partial().strict().openapi('StudentPatch');
export const Student = z
  .object({
    id: str(),
    firstName: str(),
    lastName: str(),
    dateOfBirth: str(),
    roomId: str().nullable(),
    allergies: str().nullable(),
    notes: str().nullable(),
    externalId: str().nullable(),
    status: z.enum(STUDENT_STATUSES),
    photoFileId: str().nullable(),
    archivedAt: str().nullable(),
    ...Stamps,
  })
  .openapi('Student');
export const StudentListQuery = ArchivedListQuery.extend({
  roomId: Id.optional(),
  status: z.enum(STUDENT_STATUSES).optional(),
  q: str().max(100).optional().openapi({ description: 'Case-insensitive search on first and last name' }),
});

// ----- a child's guardians (/students/{id}/guardians/…)
export const StudentGuardian = z
  .object({ ...GuardianOut, relationship: str(), authorizedPickup: z.boolean(), emergencyContact: z.boolean(), canViewRecords: z.boolean() })
  .openapi('StudentGuardian');
export const LinkBody = z
  .object({
    relationship: str().trim().min(1, 'is required').max(50).openapi({ example: 'mother' }),
    authorizedPickup: z.boolean().optional().openapi({ description: 'May collect the child (default false)' }),
    emergencyContact: z.boolean().optional().openapi({ description: 'An emergency contact for the child: data only (default false)' }),
    canViewRecords: z
      .boolean()
      .optional()
      .openapi({ description: 'Sees the child’s records (default true); false = a pickup-only contact, to whom the child is invisible (404)' }),
  })
  .strict()
  .openapi('GuardianLinkInput');
export const Link = z
  .object({ studentId: str(), guardianId: str(), relationship: str(), authorizedPickup: z.boolean(), emergencyContact: z.boolean(), canViewRecords: z.boolean(), ...Stamps })
  .openapi('GuardianLink');
export const LinkParams = z.object({
  id: str().max(100).openapi({ param: { name: 'id', in: 'path' } }),
  guardianId: str().max(100).openapi({ param: { name: 'guardianId', in: 'path' } }),
});
