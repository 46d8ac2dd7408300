import { z } from '@hono/zod-openapi';
import { str } from '../../core/strings.js';
import { ArchivedListQuery, Email, Id, Name, Stamps } from '../../api/routes/registry.js';

/** Request and response schemas of the staff routes (staff.routes.ts). */

const staffFields = { firstName: Name, lastName: Name, email: Email.nullable().optional(), roomIds: z.array(Id).max(100).openapi({ description: 'Replaces the rooms this person works in' }) };
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
    ...Stamps,
  })
  .openapi('Staff');
export const StaffListQuery = ArchivedListQuery.extend({ roomId: Id.optional() });
