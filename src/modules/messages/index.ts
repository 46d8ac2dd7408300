/** Messages between staff and guardians, per child. */
import { postStudentMessage } from './messages.service.js';

export { createMessagesService, type MessagesService, type MessageDto } from './messages.service.js';
/** How another capability posts to a child's audience in its own transaction (the container injects it: incidents). */
export { postStudentMessage };
export type PostStudentMessage = typeof postStudentMessage;
