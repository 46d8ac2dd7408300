import type { RequestContext } from '../core/context.js';
import { notFound, preconditionFailed } from '../core/errors.js';
import { auditActor, auditRepository, type AuditRepository } from '../db/audit.repository.js';
import type { Tx } from '../db/db.js';
import { checkIfMatch } from './helpers.js';

/** Returned by `write` when the request changes nothing: no write, no version bump, no audit row. */
export const UNCHANGED = Symbol('unchanged');

export interface VersionedChange<R extends { version: number }, A> {
  /** The resource's name in the 404 message ("Room"). */
  what: string;
  /** What the audit row points at. */
  target: { type: string; id: string };
  /** The version the client saw (If-Match); undefined = no precondition. */
  ifMatch: number | undefined;
  /** Reads the row and locks it for the rest of the transaction (undefined = not found → 404). */
  lock(): Promise<R | undefined>;
  /**
   * Access rules that answer 404, checked before If-Match: a 412 would tell the caller that the row exists.
   */
  visible?(before: R): Promise<void>;
  /**
   * The change: rules about the new values, then the write, conditional on `before.version` (the repository bumps it).
   * undefined = another writer got there first (412); UNCHANGED = nothing to do.
   */
  write(before: R): Promise<A | undefined | typeof UNCHANGED>;
  /** The audit row's action and before/after images. */
  audit(before: R, after: A): { action: string; before?: unknown; after?: unknown };
}

/**
 * The one way to change a versioned record, inside the caller's transaction:
 * lock → 404 → (visibility) → If-Match (412) → write with the version as a compare-and-set (412) → audit (before/after),
 * the audit row in the same transaction as the change. `after` is undefined when nothing changed. `audit` is the
 * repository the row goes to (a service hands in its own, so a test can hand in a fake).
 */
export async function changeVersioned<R extends { version: number }, A>(
  tx: Tx,
  ctx: RequestContext,
  change: VersionedChange<R, A>,
  audit: Pick<AuditRepository, 'append'> = auditRepository,
): Promise<{ before: R; after: A | undefined }> {
  const before = await change.lock();
  if (!before) throw notFound(change.what);
  await change.visible?.(before);
  checkIfMatch(before.version, change.ifMatch);
  const after = await change.write(before);
  if (after === UNCHANGED) return { before, after: undefined };
  if (after === undefined) throw preconditionFailed();
  await audit.append(tx, { ...auditActor(ctx), targetType: change.target.type, targetId: change.target.id, ...change.audit(before, after) });
  return { before, after };
}
