import { and, asc, eq, gt, inArray, ne, sql } from 'drizzle-orm';
import { billingAccountPayers, billingAccounts, billingAccountStudents, billingLedgerEntries, guardians, studentGuardians, students } from '../../models/index.js';
import type { Tx } from '../../db/db.js';
import { bump } from './billing.repository.js';

export type AccountRow = typeof billingAccounts.$inferSelect;

/** Billing accounts: the rows, their payers and children, balances. Every query names the tenant, under RLS as well. */
export const billingAccountsRepository = {
  async insertAccount(tx: Tx, values: typeof billingAccounts.$inferInsert) {
    const [row] = await tx.insert(billingAccounts).values(values).returning();
    return row!;
  },
  async getAccount(tx: Tx, tenantId: string, id: string, forUpdate = false) {
    const q = tx.select().from(billingAccounts).where(and(eq(billingAccounts.tenantId, tenantId), eq(billingAccounts.id, id)));
    const [row] = forUpdate ? await q.for('update') : await q;
    return row;
  },
  async updateAccount(tx: Tx, tenantId: string, id: string, patch: Partial<typeof billingAccounts.$inferInsert>, expectedVersion: number, now: Date) {
    const [row] = await tx
      .update(billingAccounts)
      .set({ ...patch, updatedAt: now, version: bump(billingAccounts) })
      .where(and(eq(billingAccounts.tenantId, tenantId), eq(billingAccounts.id, id), eq(billingAccounts.version, expectedVersion)))
      .returning();
    return row;
  },
  async listAccounts(tx: Tx, tenantId: string, f: { ids: string[] | null; cursor?: string; limit: number }) {
    if (f.ids && !f.ids.length) return [];
    return tx
      .select()
      .from(billingAccounts)
      .where(and(eq(billingAccounts.tenantId, tenantId), f.ids ? inArray(billingAccounts.id, f.ids) : undefined, f.cursor ? gt(billingAccounts.id, f.cursor) : undefined))
      .orderBy(asc(billingAccounts.id))
      .limit(f.limit + 1);
  },
  /** Every account id, in id order, after `after` (the run walks them in batches). */
  async accountIdsAfter(tx: Tx, tenantId: string, after: string | undefined, limit: number) {
    const rows = await tx
      .select({ id: billingAccounts.id })
      .from(billingAccounts)
      .where(and(eq(billingAccounts.tenantId, tenantId), after ? gt(billingAccounts.id, after) : undefined))
      .orderBy(asc(billingAccounts.id))
      .limit(limit);
    return rows.map((r) => r.id);
  },
  async members(tx: Tx, tenantId: string, accountIds: string[]) {
    if (!accountIds.length) return { payers: [], students: [] };
    const payers = await tx
      .select()
      .from(billingAccountPayers)
      .where(and(eq(billingAccountPayers.tenantId, tenantId), inArray(billingAccountPayers.accountId, accountIds)))
      .orderBy(asc(billingAccountPayers.guardianId));
    const studs = await tx
      .select()
      .from(billingAccountStudents)
      .where(and(eq(billingAccountStudents.tenantId, tenantId), inArray(billingAccountStudents.accountId, accountIds)))
      .orderBy(asc(billingAccountStudents.studentId));
    return { payers, students: studs };
  },
  async setMembers(tx: Tx, tenantId: string, accountId: string, payerIds: string[] | undefined, studentIds: string[] | undefined) {
    if (payerIds) {
      await tx.delete(billingAccountPayers).where(and(eq(billingAccountPayers.tenantId, tenantId), eq(billingAccountPayers.accountId, accountId)));
      if (payerIds.length) await tx.insert(billingAccountPayers).values(payerIds.map((guardianId) => ({ tenantId, accountId, guardianId })));
    }
    if (studentIds) {
      await tx.delete(billingAccountStudents).where(and(eq(billingAccountStudents.tenantId, tenantId), eq(billingAccountStudents.accountId, accountId)));
      if (studentIds.length) await tx.insert(billingAccountStudents).values(studentIds.map((studentId) => ({ tenantId, accountId, studentId })));
    }
  },
  /** Children among `studentIds` already in an account other than `accountId`. */
  async studentsInOtherAccounts(tx: Tx, tenantId: string, studentIds: string[], accountId: string | null) {
    if (!studentIds.length) return [];
    return tx
      .select()
      .from(billingAccountStudents)
      .where(and(eq(billingAccountStudents.tenantId, tenantId), inArray(billingAccountStudents.studentId, studentIds), accountId ? ne(billingAccountStudents.accountId, accountId) : undefined));
  },
  async accountOfStudent(tx: Tx, tenantId: string, studentId: string) {
    const [row] = await tx
      .select({ accountId: billingAccountStudents.accountId })
      .from(billingAccountStudents)
      .where(and(eq(billingAccountStudents.tenantId, tenantId), eq(billingAccountStudents.studentId, studentId)));
    return row?.accountId;
  },
  /** The accounts these guardian records pay for. */
  async accountIdsPaidBy(tx: Tx, tenantId: string, guardianIds: string[]) {
    if (!guardianIds.length) return [];
    const rows = await tx
      .selectDistinct({ id: billingAccountPayers.accountId })
      .from(billingAccountPayers)
      .where(and(eq(billingAccountPayers.tenantId, tenantId), inArray(billingAccountPayers.guardianId, guardianIds)));
    return rows.map((r) => r.id);
  },
  async existingGuardians(tx: Tx, tenantId: string, ids: string[]) {
    if (!ids.length) return [];
    return tx
      .select({ id: guardians.id, firstName: guardians.firstName, lastName: guardians.lastName })
      .from(guardians)
      .where(and(eq(guardians.tenantId, tenantId), inArray(guardians.id, ids)));
  },
  async existingStudents(tx: Tx, tenantId: string, ids: string[]) {
    if (!ids.length) return [];
    return tx
      .select({ id: students.id, firstName: students.firstName, dateOfBirth: students.dateOfBirth })
      .from(students)
      .where(and(eq(students.tenantId, tenantId), inArray(students.id, ids)));
  },
  /** Guardian ids among `guardianIds` linked to at least one of `studentIds`. */
  async linkedPayers(tx: Tx, tenantId: string, guardianIds: string[], studentIds: string[]) {
    if (!guardianIds.length || !studentIds.length) return [];
    const rows = await tx
      .selectDistinct({ id: studentGuardians.guardianId })
      .from(studentGuardians)
      .where(and(eq(studentGuardians.tenantId, tenantId), inArray(studentGuardians.guardianId, guardianIds), inArray(studentGuardians.studentId, studentIds)));
    return rows.map((r) => r.id);
  },
  async balances(tx: Tx, tenantId: string, accountIds: string[]) {
    if (!accountIds.length) return new Map<string, number>();
    const rows = await tx
      .select({ accountId: billingLedgerEntries.accountId, balance: sql<string>`coalesce(sum(${billingLedgerEntries.amount}), 0)::bigint` })
      .from(billingLedgerEntries)
      .where(and(eq(billingLedgerEntries.tenantId, tenantId), inArray(billingLedgerEntries.accountId, accountIds)))
      .groupBy(billingLedgerEntries.accountId);
    return new Map(rows.map((r) => [r.accountId, Number(r.balance)]));
  },

  // Enrolment's way in (accepting an offer that names a plan)
  /** The oldest account (created first, then id) this guardian pays for, or undefined. */
  async oldestAccountPaidBy(tx: Tx, tenantId: string, guardianId: string) {
    const [row] = await tx
      .select({ id: billingAccounts.id })
      .from(billingAccounts)
      .innerJoin(billingAccountPayers, and(eq(billingAccountPayers.tenantId, billingAccounts.tenantId), eq(billingAccountPayers.accountId, billingAccounts.id)))
      .where(and(eq(billingAccounts.tenantId, tenantId), eq(billingAccountPayers.guardianId, guardianId)))
      .orderBy(asc(billingAccounts.createdAt), asc(billingAccounts.id))
      .limit(1);
    return row?.id;
  },
  async addPayer(tx: Tx, tenantId: string, accountId: string, guardianId: string) {
    await tx.insert(billingAccountPayers).values({ tenantId, accountId, guardianId }).onConflictDoNothing();
  },
  async addStudent(tx: Tx, tenantId: string, accountId: string, studentId: string) {
    await tx.insert(billingAccountStudents).values({ tenantId, accountId, studentId });
  },
  async guardian(tx: Tx, tenantId: string, id: string) {
    const [row] = await tx.select().from(guardians).where(and(eq(guardians.tenantId, tenantId), eq(guardians.id, id)));
    return row;
  },
};
