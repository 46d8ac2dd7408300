import type { Clock } from '../core/clock.js';
import type { Database } from '../repositories/db.js';
import { idempotencyRepository, type IdemScope } from '../repositories/idempotency.repository.js';

export type { IdemScope };
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/** Storage of Idempotency-Key claims and their first responses (the middleware decides when to call what). */
export function createIdempotencyService({ db, clock }: { db: Database; clock: Clock }) {
  const dbScope = (s: IdemScope) => ({ tenantId: s.tenantId, userId: s.userId });
  return {
    claim: (s: IdemScope, fingerprint: string) =>
      db.scoped(dbScope(s), (tx) => idempotencyRepository.claim(tx, s, fingerprint, clock.now(), IDEMPOTENCY_TTL_SECONDS)),
    find: (s: IdemScope) => db.scoped(dbScope(s), (tx) => idempotencyRepository.find(tx, s)),
    complete: (s: IdemScope, id: string, status: number, body: unknown, headers: Record<string, string>) =>
      db.scoped(dbScope(s), (tx) => idempotencyRepository.complete(tx, id, status, body, headers)),
    release: (s: IdemScope, id: string) => db.scoped(dbScope(s), (tx) => idempotencyRepository.remove(tx, id)),
  };
}
export type IdempotencyService = ReturnType<typeof createIdempotencyService>;
