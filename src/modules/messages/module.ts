/** What the edges register of messages (read by the manifest, src/modules/index.ts). */
import { registerMessagesRoutes } from './messages.routes.js';

export const routes = { messages: registerMessagesRoutes };
/** Posting to a child's audience in the caller's transaction: the incidents' reminder task is handed it (the manifest). */
export { postStudentMessage } from './messages.service.js';
