/** What the edges register of online payments (read by the manifest, src/modules/index.ts). */
import { registerPaymentsRoutes } from './payments.routes.js';

export const routes = { payments: registerPaymentsRoutes };
