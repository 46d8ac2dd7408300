import type { ServiceDeps } from '../container.js';

/** Jobs: reports, imports, scheduled tasks. (stub: filled in by the jobs work) */
export function createJobsService(_deps: ServiceDeps) {
  return {};
}
