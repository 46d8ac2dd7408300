import { z } from '@hono/zod-openapi';
import { str } from '../../core/strings.js';
import { APPLICATION_STATUSES, WAITLIST_PRIORITIES } from '../../models/enums.js';
import { CalendarDate, Email, Id, Instant, ListQuery, Name, Stamps } from '../../api/routes/registry.js';

/** Request and response schemas of enrolment (CONTRACT §5 "Enrolment"): every string is bounded — the form is public. */
const child = z.object({ firstName: Name, lastName: Name, dateOfBirth: CalendarDate }).strict();
const guardian = z.object({ firstName: Name, lastName: Name, email: Email, phone: str().trim().max(40).nullable().optional() }).strict();
const notes = str().trim().max(2000).nullable().optional();

const applicationFields = {
  child,
  guardian,
  desiredStartDate: CalendarDate,
  roomId: Id.nullable().optional(),
  siblingStudentId: Id.nullable().optional().openapi({ description: 'A child of the centre: gives the `sibling` priority while that child is enrolled' }),
  staffChild: z.boolean().optional(),
  notes,
};
export const ApplicationCreate = z.object(applicationFields).strict().openapi('ApplicationCreate');
// `status` changes only through the moves: a PATCH naming it is a 400 (strict object).
export const ApplicationPatch = z.object(applicationFields).partial().strict().openapi('ApplicationPatch');
/** The public form: the same body, without the priority fields (ignored when sent, never trusted). */
export const PublicApplicationCreate = z
  .object({ child, guardian, desiredStartDate: CalendarDate, roomId: Id.nullable().optional(), notes, staffChild: z.unknown().optional(), siblingStudentId: z.unknown().optional() })
  .strict()
  .openapi('PublicApplicationCreate');

export const Offer = z
  .object({ roomId: str(), startDate: str(), planId: str().nullable(), expiresAt: str(), outOfOrderReason: str().nullable() })
  .openapi('ApplicationOffer');
export const Application = z
  .object({
    id: str(),
    status: z.enum(APPLICATION_STATUSES),
    source: z.enum(['staff', 'public']),
    child: z.object({ firstName: str(), lastName: str(), dateOfBirth: str() }),
    guardian: z.object({ firstName: str(), lastName: str(), email: str(), phone: str().nullable() }),
    desiredStartDate: str(),
    roomId: str().nullable(),
    siblingStudentId: str().nullable(),
    staffChild: z.boolean(),
    notes: str().nullable(),
    submittedAt: str(),
    rankAt: str().openapi({ description: 'The submission time, set again when the application returns to the list' }),
    tier: z.number().int().openapi({ description: 'Index in the centre’s waitlist.priorities of the first priority met (computed on read)' }),
    offer: Offer.nullable(),
    studentId: str().nullable(),
    guardianId: str().nullable(),
    membershipId: str().nullable(),
    possibleDuplicateOfId: str().nullable().openapi({ description: 'A child of the centre, or another open application, with the same names and birth date' }),
    withdrawReason: str().nullable(),
    ...Stamps,
  })
  .openapi('Application');
export const WaitlistItem = Application.extend({ position: z.number().int() }).openapi('WaitlistItem');
export const ApplicationsQuery = ListQuery.extend({ status: z.enum(APPLICATION_STATUSES).optional() });
export const WaitlistQuery = ListQuery.extend({ roomId: Id.optional(), startBy: CalendarDate.optional() });

export const OfferCreate = z
  .object({
    roomId: Id,
    startDate: CalendarDate,
    planId: Id.optional(),
    expiresAt: Instant.optional(),
    outOfOrderReason: str().trim().min(1).max(1000).optional(),
  })
  .strict()
  .openapi('OfferCreate');
export const DeclineBody = z.object({ returnToWaitlist: z.boolean().optional() }).strict().openapi('DeclineOffer');
export const WithdrawBody = z.object({ reason: str().trim().min(1, 'is required').max(1000) }).strict().openapi('WithdrawApplication');
export const EmptyBody = z.object({}).strict();
export const Accepted = z
  .object({ application: Application, studentId: str(), guardianId: str(), membershipId: str().nullable() })
  .openapi('ApplicationAccepted');

export const WaitlistSettings = z
  .object({
    priorities: z.array(z.enum(WAITLIST_PRIORITIES)).max(WAITLIST_PRIORITIES.length).optional(),
    offerHoldHours: z.number().int().min(1).max(720).optional(),
    applicationRetentionMonths: z.number().int().min(1).max(120).optional().openapi({ description: 'Closed applications are purged this many months after they closed (default 24)' }),
  })
  .strict()
  .openapi('WaitlistSettings');
export const WaitlistSettingsOut = z.object({ priorities: z.array(str()), offerHoldHours: z.number().int(), applicationRetentionMonths: z.number().int() });

export const FormCreate = z.object({ name: Name }).strict().openapi('ApplicationFormCreate');
export const Form = z.object({ id: str(), name: str(), ...Stamps }).openapi('ApplicationForm');
export const FormWithToken = Form.extend({ token: str().openapi({ description: 'The form’s Bearer token for POST /public/applications: shown this once' }) }).openapi(
  'ApplicationFormWithToken',
);

export const PublicReceived = z.object({ status: z.literal('received') }).openapi('PublicApplicationReceived');
const offerToken = str().min(1).max(200);
export const OfferLookupBody = z.object({ token: offerToken }).strict().openapi('OfferLookup');
export const OfferSummary = z
  .object({ childFirstName: str(), centreName: str(), roomName: str(), startDate: str(), expiresAt: str() })
  .openapi('OfferSummary');
export const OfferRespondBody = z
  .object({ token: offerToken, decision: z.enum(['accept', 'decline']), returnToWaitlist: z.boolean().optional() })
  .strict()
  .openapi('OfferRespond');
export const OfferResponded = z.object({ status: z.enum(APPLICATION_STATUSES) }).openapi('OfferResponded');
