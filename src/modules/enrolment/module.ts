/** What the edges register of enrolment (read by the manifest, src/modules/index.ts). */
import { registerApplicationFormsRoutes } from './application-forms.routes.js';
import { registerApplicationsRoutes } from './applications.routes.js';
import { registerPublicRoutes } from './public.routes.js';
import { retentionTask } from './retention.js';
import { registerWaitlistRoutes } from './waitlist.routes.js';

export const routes = {
  applications: registerApplicationsRoutes,
  waitlist: registerWaitlistRoutes,
  applicationForms: registerApplicationFormsRoutes,
  public: registerPublicRoutes,
};
export const tasks = { retention: retentionTask };
/** The schemas of its section of GET/PATCH /tenant (the container wires the section: tenancy's settingsSection; the manifest hands them to tenancy's routes). */
export { WaitlistSettings, WaitlistSettingsOut } from './applications.schemas.js';
