import { z } from '@hono/zod-openapi';
import { UUID_RE } from '../../core/ids.js';
import { isCalendarDate } from '../../core/time.js';
import { AGE_GROUPS, STUDENT_STATUSES } from '../../models/enums.js';
import { ListQuery } from './registry.js';
import { str } from '../../core/strings.js';

/** Request and response schemas of the centre routes: rooms, students, guardians, staff. */

const name = str().trim().min(1, 'is required').max(100);
const id = str().regex(UUID_RE, 'must be an id');
const text = (max: number) => str().trim().max(max).nullable().optional();
const email = str().trim().email().max(320);
const stamps = { createdAt: str(), updatedAt: str(), version: z.number().int() };

export const IncludeArchived = z
  .enum(['true', 'false'])
  .optional()
  .openapi({ description: 'Include archived records (default false)' });
export const includeArchived = (v: 'true' | 'false' | undefined) => v === 'true';

export const ArchivedListQuery = ListQuery.extend({ includeArchived: IncludeArchived });

// ----- rooms
const roomFields = {
  name,
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
    ...stamps,
  })
  .openapi('Room');

// ----- students
const dateOfBirth = str().refine(isCalendarDate, 'must be a real date (YYYY-MM-DD)').openapi({ example: '2021-05-14', format: 'date' });
const studentFields = {
  firstName: name,
  lastName: name,
  dateOfBirth,
  roomId: id.nullable().optional(),
  allergies: text(2000),
  notes: text(5000),
  externalId: str().trim().min(1).max(100).nullable().optional(),
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
    ...stamps,
  })
  .openapi('Student');
export const StudentListQuery = ArchivedListQuery.extend({
  roomId: id.optional(),
  status: z.enum(STUDENT_STATUSES).optional(),
  q: str().max(100).optional().openapi({ description: 'Case-insensitive search on first and last name' }),
});

// ----- guardians
const guardianFields = { firstName: name, lastName: name, email: email.nullable().optional(), phone: str().trim().min(1).max(40).nullable().optional() };
export const GuardianCreate = z.object(guardianFields).strict().openapi('GuardianCreate');
export const GuardianPatch = z.object(guardianFields).partial().strict().openapi('GuardianPatch');
const guardianOut = {
  id: str(),
  firstName: str(),
  lastName: str(),
  email: str().nullable(),
  phone: str().nullable(),
  archivedAt: str().nullable(),
  ...stamps,
};
export const Guardian = z.object(guardianOut).openapi('Guardian');
export const StudentGuardian = z
  .object({ ...guardianOut, relationship: str(), authorizedPickup: z.boolean() })
  .openapi('StudentGuardian');
export const LinkBody = z
  .object({
    relationship: str().trim().min(1, 'is required').max(50).openapi({ example: 'mother' }),
    authorizedPickup: z.boolean().optional().openapi({ description: 'May collect the child (default false)' }),
  })
  .strict()
  .openapi('GuardianLinkInput');
export const Link = z
  .object({ studentId: str(), guardianId: str(), relationship: str(), authorizedPickup: z.boolean(), ...stamps })
  .openapi('GuardianLink');
export const LinkParams = z.object({
  id: str().max(100).openapi({ param: { name: 'id', in: 'path' } }),
  guardianId: str().max(100).openapi({ param: { name: 'guardianId', in: 'path' } }),
});

// ----- staff
const staffFields = { firstName: name, lastName: name, email: email.nullable().optional(), roomIds: z.array(id).max(100).openapi({ description: 'Replaces the rooms this person works in' }) };
export const StaffCreate = z.object({ ...staffFields, roomIds: staffFields.roomIds.optional() }).strict().openapi('StaffCreate');
export const StaffPatch = z.object(staffFields).partial().strict().openapi('StaffPatch');
export const Staff = z
  .object({
    id: str(),
    firstName: str(),
    lastName: str(),
    email: str().nullable(),
    roomIds: z.array(str()),
    archivedAt: str().nullable(),
    ...stamps,
  })
  .openapi('Staff');
export const StaffListQuery = ArchivedListQuery.extend({ roomId: id.optional() });
