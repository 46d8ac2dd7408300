import type { TenantContext } from '../../src/core/context.js';
import type { AuditEntry } from '../../src/db/audit.repository.js';
import type { Database, Tx } from '../../src/db/db.js';

/** A transaction stand-in for services whose repositories are fakes (they never touch it). */
export const fakeTx = {} as Tx;
/** `db.scoped` that runs the work at once, with the stand-in transaction. */
export const fakeDb: Pick<Database, 'scoped'> = { scoped: (async (_scope: unknown, fn: (tx: Tx) => Promise<unknown>) => fn(fakeTx)) as Database['scoped'] };

/** An audit repository that keeps its rows in memory. */
export function fakeAudit() {
  const rows: AuditEntry[] = [];
  return {
    rows,
    async append(_tx: Tx, e: AuditEntry) {
      rows.push(e);
    },
    async appendMany(_tx: Tx, es: AuditEntry[]) {
      rows.push(...es);
    },
  };
}

export const fixedClock = (iso = '2026-03-09T10:00:00Z') => ({ now: () => new Date(iso) });

export function ownerCtx(tenantId = '11111111-1111-4111-8111-111111111111'): TenantContext {
  return {
    requestId: 'req-1',
    userId: '22222222-2222-4222-8222-222222222222',
    email: 'owner@example.test',
    sessionId: 'sess-1',
    tenantId,
    membershipId: '33333333-3333-4333-8333-333333333333',
    roles: ['owner'],
    entitlements: [],
    permissions: [],
    guardianOnly: false,
    ip: null,
    userAgent: null,
  };
}
