import type { ServiceDeps } from '../container.js';

/** Presigned uploads and downloads. (stub: filled in by the files work) */
export function createFilesService(_deps: ServiceDeps) {
  return {};
}
