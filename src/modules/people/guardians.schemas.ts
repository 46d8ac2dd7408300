import { z } from '@hono/zod-openapi';
import { str } from '../../core/strings.js';
import { Email, Name, Stamps } from '../../api/routes/registry.js';

/** Request and response schemas of the guardians routes (guardians.routes.ts). */

const guardianFields = { firstName: Name, lastName: Name, email: Email.nullable().optional(), phone: str().trim().min(1).max(40).nullable().optional() };
export const GuardianCreate = z.object(guardianFields).strict().openapi('GuardianCreate');
export const GuardianPatch = z.object(guardianFields).partial().strict().openapi('GuardianPatch');
/** A guardian's fields as answered (a child's guardians add the link's fields: students.schemas.ts). */
export const GuardianOut = {
  id: str(),
  firstName: str(),
  lastName: str(),
  email: str().nullable(),
  phone: str().nullable(),
  archivedAt: str().nullable(),
  ...Stamps,
};
export const Guardian = z.object(GuardianOut).openapi('Guardian');
