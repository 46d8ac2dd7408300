import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../api/env.js';
import { registerGuardiansRoutes } from './guardians.routes.js';
import { registerRoomsRoutes } from './rooms.routes.js';
import { registerStaffRoutes } from './staff.routes.js';
import { registerStudentsRoutes } from './students.routes.js';

/** The centre's records (CONTRACT §5 "Centre"): rooms, students and their guardian links, guardians, staff. */
export function registerCentreRoutes(app: OpenAPIHono<AppEnv>) {
  registerRoomsRoutes(app);
  registerStudentsRoutes(app);
  registerGuardiansRoutes(app);
  registerStaffRoutes(app);
}
