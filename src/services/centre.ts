import type { ServiceDeps } from '../container.js';

/** Rooms, students, guardians, staff. (stub: filled in by the centre work) */
export function createCentreServices(_deps: ServiceDeps) {
  return {};
}
