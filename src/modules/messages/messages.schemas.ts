import { z } from '@hono/zod-openapi';
import { str } from '../../core/strings.js';
import { AUDIENCE_TYPES } from '../../models/enums.js';
import { Timestamps } from '../../api/routes/registry.js';

/** Request and response schemas of the messages routes (messages.routes.ts). */

export const Audience = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('student'), id: str().max(100).openapi({ description: 'The student id' }) }).strict(),
    z.object({ type: z.literal('room'), id: str().max(100).openapi({ description: 'The room id' }) }).strict(),
    // `id` is optional in the contract's shape; for the whole centre it must be absent or null.
    z.object({ type: z.literal('tenant'), id: z.null().optional() }).strict(),
  ])
  .openapi('MessageAudience', { description: 'A child, a room, or the whole centre (staff only)' });

export const Message = z
  .object({
    ...Timestamps,
    audience: z.object({ type: z.enum(AUDIENCE_TYPES).openapi({ description: 'room_staff: system reminders for a room’s staff' }), id: str().nullable() }),
    body: str(),
    authorMembershipId: str(),
    read: z.boolean().openapi({ description: 'Whether the caller has marked it read' }),
  })
  .openapi('Message');

export const MessageBody = z.object({ audience: Audience, body: str().trim().min(1, 'is required').max(5000) }).strict();
