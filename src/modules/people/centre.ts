import type { ServiceDeps } from '../../kernel/deps.js';
import { createGuardiansService } from './guardians.service.js';
import { createRoomsService } from './rooms.service.js';
import { createStaffService } from './staff.service.js';
import { createStudentsService } from './students.service.js';
import type { ImportDeps } from './students-import.js';

/** Rooms, students (and their guardian links), guardians, staff (CONTRACT §5 "Centre"). */
export function createCentreServices(deps: Pick<ServiceDeps, 'db' | 'clock'> & { imports: ImportDeps }) {
  return {
    rooms: createRoomsService(deps),
    students: createStudentsService(deps),
    guardians: createGuardiansService(deps),
    staff: createStaffService(deps),
  };
}
export type CentreServices = ReturnType<typeof createCentreServices>;
