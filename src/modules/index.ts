/**
 * The manifest: every capability under src/modules/, and what the edges register of each (its module.ts). The HTTP
 * edge (src/api/app.ts) registers ROUTES, the worker host (src/workers/jobs.ts) runs JOBS; the container
 * (src/container.ts) builds each module's services from its index.ts. Adding a capability: its folder, a line here,
 * its wiring in the container (and its migration).
 */
import * as attendance from './attendance/module.js';
import * as billing from './billing/module.js';
import * as careLog from './care-log/module.js';
import * as enrolment from './enrolment/module.js';
import * as files from './files/module.js';
import * as importsReports from './imports-reports/module.js';
import * as incidents from './incidents/module.js';
import * as kiosk from './kiosk/module.js';
import * as messages from './messages/module.js';
import * as notifications from './notifications/module.js';
import * as payments from './payments/module.js';
import * as people from './people/module.js';
import * as staffTime from './staff-time/module.js';
import * as tasks from './tasks/module.js';
import * as tenancy from './tenancy/module.js';
import type { PerTenantTask, ScheduledTask } from '../kernel/tasks.js';

/** The capabilities. */
export const MODULES = { tenancy, people, attendance, careLog, incidents, staffTime, kiosk, messages, files, importsReports, notifications, billing, payments, enrolment, tasks };

/**
 * The modules' route registrations, in the order the API registers them (after the edge's own health, docs and auth
 * routes): it is the OpenAPI document's order and the router's precedence, so a new module's routes go at the end.
 */
export const ROUTES = [
  tenancy.routes.tenancy({
    billing: { settings: billing.BillingSettings, patch: billing.BillingSettingsPatch },
    waitlist: { settings: enrolment.WaitlistSettingsOut, patch: enrolment.WaitlistSettings },
    notifications: { settings: notifications.NotificationSettings, patch: notifications.NotificationSettingsPatch },
  }),
  tenancy.routes.invitations,
  people.routes.centre,
  importsReports.routes.jobs,
  attendance.routes.attendance,
  staffTime.routes.shifts,
  kiosk.routes.kiosks(attendance.schemas),
  attendance.routes.absences,
  careLog.routes.careEntries(attendance.schemas),
  incidents.routes.incidents,
  messages.routes.messages,
  files.routes.files,
  enrolment.routes.applications,
  enrolment.routes.waitlist,
  enrolment.routes.applicationForms,
  enrolment.routes.public,
  billing.routes.billing,
  billing.routes.invoices,
  notifications.routes.notifications,
  payments.routes.payments({ Money: billing.Money }),
] as const;

/** Job name → handler, from the modules that own a job (the payload map is src/kernel/job-payloads.ts). */
export const JOBS = { ...importsReports.jobs, ...people.jobs, ...billing.jobs };

/**
 * Scheduled task → the modules' work for one centre, run in this order and their counts merged (the tasks service
 * runs them centre by centre; src/workers/schedules/ decides when).
 */
export const TASKS: Record<ScheduledTask, readonly PerTenantTask[]> = {
  'attendance.rollup': [attendance.tasks.rollup(staffTime.shiftsOnDuty)],
  'attendance.reminders': [attendance.tasks.reminders(staffTime.shiftsOnDuty)],
  'incidents.reminders': [incidents.tasks.reminders(messages.postStudentMessage)],
  cleanup: [tasks.tasks.cleanup, enrolment.tasks.retention],
};
