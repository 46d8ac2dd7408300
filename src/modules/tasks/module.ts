/** What the worker host runs of the tasks module (read by the manifest, src/modules/index.ts). */
import { cleanupTenant } from './cleanup.task.js';

export const tasks = { cleanup: cleanupTenant };
