import { z } from 'zod';
import type { Logger } from '../core/logger.js';
import { str } from '../core/strings.js';
import { auditRepository, type AuditEntry } from '../db/audit.repository.js';
import { systemWide, type Database, type Tx } from '../db/db.js';
import { outboxRepository, type OutboxEvent } from '../db/outbox.repository.js';

/**
 * Domain events: every change of a centre recorded once, in its own transaction, as an audit row **and** an outbox row
 * (repositories/audit.repository.ts writes both in one statement), so nothing that committed is forgotten and nothing
 * rolled back is announced. The worker host (src/workers/host.ts) claims outbox rows after the commit and hands each to
 * its subscribers (src/workers/subscribers.ts).
 *
 * Delivery is **at least once**: a drain that dies between a subscriber's effect and marking the row done runs that
 * subscriber again after the claim's lease, so every subscriber is idempotent (a job is sent only while still queued;
 * an email delivery has a dedupe key). A subscriber that fails is retried with backoff; the others are not held up.
 *
 * Every audited action (`auditRepository.append`, the ~40 call sites) is an event named by its action, with the
 * payload `{targetType, targetId, after}`. The map below types the events that subscribers read: `events.record`
 * checks the payload against the name, as the jobs service does with job payloads (kernel/job-payloads.ts).
 */
const jobRequested = z.object({ jobId: str().uuid(), type: str(), payload: z.record(z.string(), z.unknown()) });
export const EVENTS = {
  'job.report.attendance.requested': jobRequested,
  'job.import.students.requested': jobRequested,
  'job.billing.run.requested': jobRequested,
} as const;

export type EventName = keyof typeof EVENTS;
export type EventPayload<N extends EventName> = z.infer<(typeof EVENTS)[N]>;

/** The audit row's actor fields (`auditActor(ctx)`): the tenant, who acted, and the request's metadata. */
export type EventActor = Pick<AuditEntry, 'actorUserId' | 'actorMembershipId' | 'ip' | 'userAgent' | 'requestId'> & { tenantId: string };

export const events = {
  /**
   * Records `name` in the caller's transaction: the audit row (action = name, the payload as its after image) and the
   * outbox row (the payload), both or neither. `target` is what the audit row points at.
   */
  async record<N extends EventName>(tx: Tx, actor: EventActor, name: N, payload: EventPayload<N>, target?: { type: string; id: string }) {
    const event = EVENTS[name].parse(payload);
    await auditRepository.append(tx, { ...actor, action: name, targetType: target?.type ?? null, targetId: target?.id ?? null, after: event, event });
  },
};

/** An event as its subscribers receive it. */
export type DomainEvent = OutboxEvent;

/** Seconds before the next try of an event whose subscriber failed `attempts` times; null = give up (`failed`). */
export function eventBackoff(attempts: number): number | null {
  if (attempts >= 10) return null;
  return Math.min(2 ** attempts, 600);
}

/** The outbox as the worker host drains it (never a request's business). */
export function createOutboxService({ db, logger }: { db: Database; logger: Logger }) {
  return {
    /** Claims due events across centres (the system scope; each subscriber then enters its own centre). */
    /** `foreignGraceSeconds`: other processes' events only once due that long (null: everything due, for the workers). */
    claim: (limit: number, leaseSeconds: number, foreignGraceSeconds: number | null = null) =>
      db.scoped(systemWide(), (tx) => outboxRepository.claim(tx, limit, leaseSeconds, foreignGraceSeconds)),
    done: (ids: number[]) => (ids.length ? db.scoped(systemWide(), (tx) => outboxRepository.done(tx, ids)) : Promise.resolve()),
    async retry(event: DomainEvent, delivered: string[], error: string) {
      const wait = eventBackoff(event.attempts);
      if (wait === null) logger.error({ eventId: event.id, tenantId: event.tenantId, name: event.name, err: error }, 'event delivery failed for good');
      await db.scoped(systemWide(), (tx) => outboxRepository.retry(tx, event.id, delivered, error, wait));
    },
    anyDue: () => db.scoped(systemWide(), (tx) => outboxRepository.anyDue(tx)),
    purge: (days: number) => db.scoped(systemWide(), (tx) => outboxRepository.purge(tx, days)),
  };
}
export type OutboxService = ReturnType<typeof createOutboxService>;
