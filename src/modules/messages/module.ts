/** What the edges register of messages (read by the manifest, src/modules/index.ts). */
import { registerMessagesRoutes } from './messages.routes.js';

export const routes = { messages: registerMessagesRoutes };
