/** Messages between staff and guardians, per child. */
export { createMessagesService, type MessagesService, type MessageDto } from './messages.service.js';
