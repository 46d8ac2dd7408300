/** What the edges register of files (read by the manifest, src/modules/index.ts). */
import { registerFilesRoutes } from './files.routes.js';

export const routes = { files: registerFilesRoutes };
