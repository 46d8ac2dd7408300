import { auditRepository, type AuditEntry, type AuditRepository } from '../db/audit.repository.js';
import type { Tx } from '../db/db.js';

/**
 * Who creates: a member's request context, a job's actor (no user, no request) or a billing actor — whatever carries
 * the centre and the member; the other audit fields are null when absent.
 */
export interface Creator {
  tenantId: string;
  membershipId: string | null;
  userId?: string | null;
  requestId?: string;
  ip?: string | null;
  userAgent?: string | null;
}

export interface Creation<R extends object, D> {
  /** The audit row's action ("room.created") and the type of what it points at ("room"). */
  action: string;
  targetType: string;
  /** The rules about the new values, then the write: answers the new row. */
  insert(): Promise<R>;
  /** The row as the API answers it (may read more in the transaction: an account's members). */
  dto(row: R): D | Promise<D>;
  /** The audit row's target id; default: the row's `id`. */
  targetId?(row: R): string;
  /** The audit row's after image; default: the DTO. */
  after?(row: R, dto: D): unknown;
}

/** The actor fields of an audit row, from any creator. */
export const auditBy = (by: Creator) => ({
  tenantId: by.tenantId,
  actorUserId: by.userId ?? null,
  actorMembershipId: by.membershipId,
  ip: by.ip ?? null,
  userAgent: by.userAgent ?? null,
  requestId: by.requestId ?? null,
});

const entry = <R extends object, D>(by: Creator, c: Omit<Creation<R, D>, 'insert'>, row: R, dto: D): AuditEntry => ({
  ...auditBy(by),
  action: c.action,
  targetType: c.targetType,
  targetId: c.targetId ? c.targetId(row) : (row as { id: string }).id,
  after: c.after ? c.after(row, dto) : dto,
});

/**
 * The one way to create a record, inside the caller's transaction — the twin of `changeVersioned`
 * (versioned-change.ts): insert → DTO → audit row (its after image, the DTO by default), the audit row in the same
 * transaction as the row it records. Answers the DTO. `audit` is the repository the row goes to (a service hands in its
 * own, so a test can hand in a fake).
 */
export async function createRecorded<R extends object, D>(
  tx: Tx,
  by: Creator,
  creation: Creation<R, D>,
  audit: Pick<AuditRepository, 'append'> = auditRepository,
): Promise<D> {
  const row = await creation.insert();
  const dto = await creation.dto(row);
  await audit.append(tx, entry(by, creation, row, dto));
  return dto;
}

/**
 * Many records of one kind at once (the students import's batches): one insert of them all, then their audit rows
 * in one statement — the same rows `createRecorded` writes one by one. Answers the DTOs, in the rows' order.
 */
export async function createRecordedMany<R extends object, D>(
  tx: Tx,
  by: Creator,
  creation: Omit<Creation<R, D>, 'insert'> & { insert(): Promise<R[]> },
  audit: Pick<AuditRepository, 'appendMany'> = auditRepository,
): Promise<D[]> {
  const rows = await creation.insert();
  if (!rows.length) return [];
  const dtos: D[] = [];
  for (const r of rows) dtos.push(await creation.dto(r));
  await audit.appendMany(
    tx,
    rows.map((r, i) => entry(by, creation, r, dtos[i]!)),
  );
  return dtos;
}
