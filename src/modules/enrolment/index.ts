/** Enrolment: applications, the waitlist and offers, application forms, the public (unauthenticated) routes. */
export { createEnrolmentService, type EnrolmentService } from './enrolment.service.js';
export { createPublicEnrolmentService, type PublicEnrolmentService, type PublicFormContext } from './public.service.js';
export type { EnrolmentBilling } from './billing-port.js';
/** For the demo seed (src/seed.ts). */
export { seedDemoWaitlist } from './seed-waitlist.js';
