import type { ServiceDeps } from '../container.js';

/** Messages between staff and guardians. (stub: filled in by the messages work) */
export function createMessagesService(_deps: ServiceDeps) {
  return {};
}
