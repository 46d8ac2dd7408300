import { z } from '@hono/zod-openapi';
import { UUID_RE } from '../../core/ids.js';
import { str } from '../../core/strings.js';
import { INCIDENT_STATUSES, INCIDENT_TYPES } from '../../models/enums.js';
import { CalendarDate, Instant, ListQuery } from '../../api/routes/registry.js';

/** Request and response schemas of the incident routes. */

const instant = Instant.openapi({ example: '2026-03-09T10:40:00Z' });
const text = (max: number) => str().trim().min(1, 'is required').max(max);
const fields = {
  occurredAt: instant,
  type: z.enum(INCIDENT_TYPES),
  description: text(5000),
  actionTaken: text(5000),
  location: str().trim().max(200).nullable().optional(),
};

export const IncidentCreate = z.object({ studentId: str().max(100), ...fields }).strict().openapi('IncidentCreate');
export const IncidentPatch = z.object(fields).partial().strict().openapi('IncidentPatch');

export const Incident = z
  .object({
    id: str(),
    studentId: str(),
    roomId: str().nullable(),
    occurredAt: str(),
    type: z.enum(INCIDENT_TYPES),
    description: str(),
    actionTaken: str(),
    location: str().nullable(),
    status: z.enum(INCIDENT_STATUSES),
    reportedByMembershipId: str(),
    reviewedAt: str().nullable(),
    reviewedByMembershipId: str().nullable(),
    acknowledgedAt: str().nullable(),
    acknowledgedByGuardianId: str().nullable(),
    createdAt: str(),
    updatedAt: str(),
    version: z.number().int(),
  })
  .openapi('Incident');

export const IncidentListQuery = ListQuery.extend({
  studentId: str().regex(UUID_RE, 'must be an id').optional(),
  status: z.enum(INCIDENT_STATUSES).optional(),
  from: CalendarDate.optional().openapi({ description: 'The centre’s local date of occurredAt, included' }),
  to: CalendarDate.optional().openapi({ description: 'The centre’s local date of occurredAt, included' }),
});
