import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import { acrossCentres, forTenant, type Database, type DbScope } from '../db/db.js';
import { idempotencyRepository, type IdemScope } from '../db/idempotency.repository.js';

export type { IdemScope };
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/** A response as stored with its key and replayed later. */
export interface StoredResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export type IdempotentOutcome<R> = { replay: StoredResponse } | { fresh: R };

/** Thrown inside the unit of work to roll it back while still answering with the (5xx) response. */
class RollBack<R> {
  constructor(readonly result: R) {}
}

const inProgress = () => new AppError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed');

/**
 * Idempotency-Key (CONTRACT §2), exactly once: the key, the work and the stored response share one transaction
 * (`db.unitOfWork`, which every `scoped()` call of the work joins). A committed change therefore always has its
 * response stored, and an uncommitted one leaves no trace — there is no "in progress" row to outlive a crash.
 * Concurrent duplicates meet on a transaction-level advisory lock: the second one answers 409 at once instead of
 * waiting, and the lock goes away with the transaction, whatever kills it.
 *
 * The unit of work, as the code running in it sees it (tested: tests/integration/unit-of-work-rule.test.ts):
 * - every `db.scoped(scope, fn)` call of the work, in the same async flow, joins the one transaction as a savepoint
 *   run under its own `scope`: it sees what the calls before it wrote, and its row locks last until the commit;
 * - a call that throws rolls back its savepoint alone: what the calls before it wrote commits with the stored answer
 *   (as it would commit without a key, each call being its own transaction then);
 * - an answer that is not stored (a 5xx) rolls the whole unit of work back — without a key, the calls before the
 *   failure would have committed;
 * - the transaction `unitOfWork` hands its own callback carries the scope of the last call that joined: work done
 *   in it after a joined call of another scope goes through `db.scoped()` (or `reScope`) again;
 * - `db.afterCommit(fn)` runs after the commit (dropped on rollback); joined calls run one after another (never in
 *   Promise.all: savepoints nest).
 */
export function createIdempotencyService({ db, clock }: { db: Database; clock: Clock }) {
  // A keyed request without a centre (POST /tenants, an invitation's answer) is its user's own.
  const dbScope = (s: IdemScope): DbScope => (s.tenantId ? forTenant(s.tenantId) : acrossCentres({ userId: s.userId }));
  const lockKey = (s: IdemScope) =>
    createHash('sha256').update(JSON.stringify([s.tenantId, s.userId, s.method, s.path, s.key])).digest().readBigInt64BE(0).toString();

  /** The stored response for this key, 422 when it was used with another request, null when there is none. */
  const storedResponse = async (s: IdemScope, fingerprint: string): Promise<StoredResponse | null> => {
    const row = await db.scoped(dbScope(s), (tx) => idempotencyRepository.find(tx, s));
    if (!row) return null;
    if (row.fingerprint !== fingerprint) throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request body');
    return { status: row.responseStatus ?? 200, body: row.responseBody, headers: (row.responseHeaders as Record<string, string>) ?? {} };
  };

  return {
    /**
     * Runs `work` once per key: a replay of the stored response when there is one, else `work` inside the unit of
     * work, with `record(result)` stored beside it. A result `record` marks as not storable (a 5xx) rolls back.
     */
    async run<R>(
      s: IdemScope,
      fingerprint: string,
      work: () => Promise<R>,
      record: (result: R) => Promise<StoredResponse | null>,
    ): Promise<IdempotentOutcome<R>> {
      const earlier = await storedResponse(s, fingerprint);
      if (earlier) return { replay: earlier };
      try {
        return await db.unitOfWork(dbScope(s), async () => {
          const locked = await db.scoped(dbScope(s), (tx) => idempotencyRepository.tryLock(tx, lockKey(s)));
          if (!locked) throw inProgress();
          // The first request may have committed between the look-up above and the lock.
          const now = await storedResponse(s, fingerprint);
          if (now) return { replay: now };
          const result = await work();
          const response = await record(result);
          if (!response) throw new RollBack(result);
          await db.scoped(dbScope(s), (tx) => idempotencyRepository.insertCompleted(tx, s, fingerprint, response, clock.now(), IDEMPOTENCY_TTL_SECONDS));
          return { fresh: result };
        });
      } catch (err) {
        if (err instanceof RollBack) return { fresh: err.result as R };
        throw err;
      }
    },
  };
}
export type IdempotencyService = ReturnType<typeof createIdempotencyService>;
