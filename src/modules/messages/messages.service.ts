import type { ServiceDeps } from '../../kernel/deps.js';
import type { Notify } from '../../kernel/notify-port.js';
import type { NotificationAudience } from '../notifications/index.js';
import type { TenantContext } from '../../core/context.js';
import { forbidden, notFound } from '../../core/errors.js';
import { isUuid, newId } from '../../core/ids.js';
import { auditRepository, type AuditEntry } from '../../db/audit.repository.js';
import { forTenant, type Tx } from '../../db/db.js';
import { messagesRepository as repo, type MessageRow, type MessageVisibility } from './messages.repository.js';
import { visibleRoom, visibleRoomIds, visibleStudent, visibleStudentIds } from '../../kernel/day.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { createRecorded } from '../../kernel/recorded-create.js';

const noNotify: Notify = async () => {};

export type Audience = { type: 'student' | 'room'; id: string } | { type: 'tenant'; id?: null };

export const messageDto = (m: MessageRow, readAt: Date | null) => ({
  id: m.id,
  audience: { type: m.audienceType, id: m.audienceId },
  body: m.body,
  authorMembershipId: m.authorMembershipId,
  createdAt: m.createdAt.toISOString(),
  updatedAt: m.updatedAt.toISOString(),
  version: m.version,
  read: !!readAt,
});
export type MessageDto = ReturnType<typeof messageDto>;

/**
 * A message to a child's audience (their guardians and the staff) written inside the caller's transaction: how other
 * services tell guardians something (an incident waiting for acknowledgement). Audited like a sent message.
 */
export async function postStudentMessage(
  tx: Tx,
  v: { tenantId: string; authorMembershipId: string; actor: Omit<AuditEntry, 'action' | 'targetType' | 'targetId'>; studentId: string; body: string; now: Date },
) {
  const row = await repo.insert(tx, {
    id: newId(),
    tenantId: v.tenantId,
    authorMembershipId: v.authorMembershipId,
    audienceType: 'student',
    audienceId: v.studentId,
    body: v.body,
    createdAt: v.now,
    updatedAt: v.now,
  });
  await auditRepository.append(tx, { ...v.actor, action: 'message.sent', targetType: 'message', targetId: row.id, after: { audience: { type: 'student', id: v.studentId } } });
  return messageDto(row, null);
}

/**
 * Messages between staff and guardians (CONTRACT §5, entitlement `messaging` checked by the route's permission).
 * Staff read the whole centre; a guardian reads centre-wide messages, those about their own children and those
 * children's rooms, and what they wrote. Messages are never edited.
 */
export function createMessagesService({
  db,
  clock,
  notify = noNotify,
  audience: notifications,
}: Pick<ServiceDeps, 'db' | 'clock' | 'notify'> & { /** Notifications' (the container's wiring): who may read a message. */ audience: Pick<NotificationAudience, 'messageReaders'> }) {

  async function visibility(tx: Tx, ctx: TenantContext): Promise<MessageVisibility | null> {
    const studentIds = await visibleStudentIds(tx, ctx);
    if (studentIds === null) return null;
    const roomIds = (await visibleRoomIds(tx, ctx)) ?? [];
    return { studentIds, roomIds, membershipId: ctx.membershipId };
  }

  return {
    async send(ctx: TenantContext, input: { audience: Audience; body: string }): Promise<MessageDto> {
      const { audience } = input;
      if (audience.type === 'tenant' && ctx.guardianOnly) throw forbidden('Guardians write about their own children or their rooms, not to the whole centre');
      const now = clock.now();
      return db.scoped(forTenant(ctx), async (tx) => {
        let audienceId: string | null = null;
        if (audience.type === 'student') audienceId = (await visibleStudent(tx, ctx, audience.id)).id;
        else if (audience.type === 'room') audienceId = (await visibleRoom(tx, ctx, audience.id)).id;
        const dto = await createRecorded(tx, ctx, {
          action: 'message.sent',
          targetType: 'message',
          insert: () =>
            repo.insert(tx, {
              id: newId(),
              tenantId: ctx.tenantId,
              authorMembershipId: ctx.membershipId,
              audienceType: audience.type,
              audienceId,
              body: input.body,
              createdAt: now,
              updatedAt: now,
            }),
          dto: (row) => messageDto(row, null),
          // The audit row records who wrote to whom, never the body (it may carry children's details).
          after: (row) => ({ audience: { type: row.audienceType, id: row.audienceId } }),
        });
        // message.received: every member who may read it but its author; the email waits and is skipped once read.
        const readers = await notifications.messageReaders(tx, ctx.tenantId, dto.audience.type, dto.audience.id);
        await notify(tx, ctx.tenantId, {
          type: 'message.received',
          subject: { type: 'message', id: dto.id },
          recipients: { membershipIds: readers.filter((m) => m !== ctx.membershipId) },
          data: {},
        });
        return dto;
      });
    },

    async list(ctx: TenantContext, q: { limit: number; cursor?: string }) {
      const cursor = decodeUuidCursor(q.cursor);
      const rows = await db.scoped(forTenant(ctx), async (tx) => repo.list(tx, ctx.tenantId, ctx.membershipId, await visibility(tx, ctx), { cursor, limit: q.limit }));
      return toPage(rows, q.limit, (r) => messageDto(r.m, r.readAt), (r) => r.m.id);
    },

    async markRead(ctx: TenantContext, id: string): Promise<void> {
      if (!isUuid(id)) throw notFound('Message');
      const now = clock.now();
      await db.scoped(forTenant(ctx), async (tx) => {
        const m = await repo.getVisible(tx, ctx.tenantId, id, await visibility(tx, ctx));
        if (!m) throw notFound('Message');
        await repo.markRead(tx, ctx.tenantId, m.id, ctx.membershipId, now);
      });
    },
  };
}
export type MessagesService = ReturnType<typeof createMessagesService>;
