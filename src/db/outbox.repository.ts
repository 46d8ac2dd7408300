import { randomUUID } from 'node:crypto';
import { queryRows, type Tx } from './db.js';

/**
 * This process, as the origin of the outbox rows and email deliveries its changes write. A process's own drain takes
 * its own rows at once and other processes' only after a grace period (their producer is likely gone): an API process
 * never sends what another process committed while that one is alive to send it itself — with the in-process queue
 * its job would run in the wrong process. The worker processes (`npm run worker`, the Lambda worker) take everything.
 */
export const PROCESS_ORIGIN = randomUUID();

/** An outbox row as the worker host sees it. */
export interface OutboxEvent {
  id: number;
  tenantId: string;
  name: string;
  payload: unknown;
  actorMembershipId: string | null;
  attempts: number;
  delivered: string[];
  /** The recording request's trace (W3C traceparent), when telemetry was on. */
  traceParent: string | null;
}

const COLUMNS = `id::float8 as "id", tenant_id as "tenantId", name, payload, actor_membership_id as "actorMembershipId", attempts, delivered, trace_parent as "traceParent"`;

/**
 * The transactional outbox (models/notifications.ts). Rows are written in the tenant's transaction by the audit
 * append (repositories/audit.repository.ts); the worker claims them across centres in the system scope.
 */
export const outboxRepository = {
  /**
   * Claims up to `limit` due events for `leaseSeconds` (attempts + 1): a drain that dies holding them lets the lease run
   * out, and another drain takes them again. `SKIP LOCKED`: concurrent drains never claim the same row.
   */
  claim(tx: Tx, limit: number, leaseSeconds: number, foreignGraceSeconds: number | null) {
    return queryRows<OutboxEvent>(
      tx,
      `update outbox_events set attempts = attempts + 1, available_at = now() + make_interval(secs => $2)
        where id in (select id from outbox_events where status = 'pending' and available_at <= now()
                        and ($3::float8 is null or origin = $4 or available_at <= now() - make_interval(secs => $3::float8))
                      order by id limit $1 for update skip locked)
        returning ${COLUMNS}`,
      [limit, leaseSeconds, foreignGraceSeconds, PROCESS_ORIGIN],
    );
  },

  /** Every subscriber succeeded (or there were none). */
  async done(tx: Tx, ids: number[]) {
    if (!ids.length) return;
    await queryRows(tx, `update outbox_events set status = 'done', done_at = now(), last_error = null where id = any($1::int8[])`, [ids]);
  },

  /** Some subscribers failed: keep the ones that succeeded, try the rest again after `retryInSeconds`, or give up. */
  async retry(tx: Tx, id: number, delivered: string[], error: string, retryInSeconds: number | null) {
    await queryRows(
      tx,
      `update outbox_events set delivered = $2::text[], last_error = $3, status = case when $4::float8 is null then 'failed' else 'pending' end,
         available_at = case when $4::float8 is null then available_at else now() + make_interval(secs => $4::float8) end, done_at = case when $4::float8 is null then now() end
        where id = $1`,
      [id, delivered, error.slice(0, 1000), retryInSeconds],
    );
  },

  /** Whether anything is due now (the cheap check of a poll). */
  async anyDue(tx: Tx) {
    const r = await queryRows<{ n: number }>(tx, `select 1 as n from outbox_events where status = 'pending' and available_at <= now() limit 1`, []);
    return r.length > 0;
  },

  /** Finished rows older than `days` (cleanup). */
  async purge(tx: Tx, days: number) {
    const r = await queryRows<{ n: number }>(tx, `with d as (delete from outbox_events where status <> 'pending' and created_at < now() - make_interval(days => $1) returning 1) select count(*)::int as n from d`, [days]);
    return r[0]?.n ?? 0;
  },
};
export type OutboxRepository = typeof outboxRepository;
