import type { ServiceDeps } from '../container.js';

/** Check-in/out, corrections, roster and ratios. (stub: filled in by the attendance work) */
export function createAttendanceService(_deps: ServiceDeps) {
  return {};
}
