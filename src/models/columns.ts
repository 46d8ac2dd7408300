import { integer, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Columns every stored resource carries (CONTRACT §2): id, created/updated times and an integer version (the ETag). */
export const resourceColumns = () => ({
  id: uuid('id').notNull().defaultRandom().primaryKey(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  version: integer('version').notNull().default(1),
});

export const tenantIdColumn = () => uuid('tenant_id').notNull();
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
