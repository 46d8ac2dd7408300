import { and, desc, eq, inArray, lt, or, type SQL } from 'drizzle-orm';
import { messageReads, messages } from '../../models/index.js';
import type { Tx } from '../../db/db.js';

export type MessageRow = typeof messages.$inferSelect;

/** What a reader may see: null = the whole centre (staff); otherwise a guardian's children and their rooms. */
export interface MessageVisibility {
  studentIds: string[];
  roomIds: string[];
  membershipId: string;
}

function visibleWhere(v: MessageVisibility | null): SQL | undefined {
  if (!v) return undefined;
  const conds: SQL[] = [eq(messages.audienceType, 'tenant'), eq(messages.authorMembershipId, v.membershipId)];
  if (v.studentIds.length) conds.push(and(eq(messages.audienceType, 'student'), inArray(messages.audienceId, v.studentIds))!);
  if (v.roomIds.length) conds.push(and(eq(messages.audienceType, 'room'), inArray(messages.audienceId, v.roomIds))!);
  return or(...conds);
}

export const messagesRepository = {
  async insert(tx: Tx, values: typeof messages.$inferInsert) {
    const [row] = await tx.insert(messages).values(values).returning();
    return row!;
  },

  /** Newest first (keyset on the UUIDv7 id, descending), with the reader's own read time. */
  async list(tx: Tx, tenantId: string, membershipId: string, v: MessageVisibility | null, opts: { cursor?: string; limit: number }) {
    return tx
      .select({ m: messages, readAt: messageReads.readAt })
      .from(messages)
      .leftJoin(
        messageReads,
        and(eq(messageReads.tenantId, messages.tenantId), eq(messageReads.messageId, messages.id), eq(messageReads.membershipId, membershipId)),
      )
      .where(and(eq(messages.tenantId, tenantId), visibleWhere(v), opts.cursor ? lt(messages.id, opts.cursor) : undefined))
      .orderBy(desc(messages.id))
      .limit(opts.limit + 1);
  },

  async getVisible(tx: Tx, tenantId: string, id: string, v: MessageVisibility | null) {
    const [row] = await tx
      .select()
      .from(messages)
      .where(and(eq(messages.tenantId, tenantId), eq(messages.id, id), visibleWhere(v)));
    return row;
  },

  /** Idempotent: marking a message read twice keeps the first read time. */
  async markRead(tx: Tx, tenantId: string, messageId: string, membershipId: string, at: Date) {
    await tx.insert(messageReads).values({ tenantId, messageId, membershipId, readAt: at }).onConflictDoNothing();
  },
};
