import { idempotencyRepository } from '../../db/idempotency.repository.js';
import { maintenanceRepository } from '../../db/maintenance.repository.js';
import { outboxRepository } from '../../db/outbox.repository.js';
import { sessionsRepository } from '../../db/sessions.repository.js';
import type { TaskDeps, TenantEntry } from '../../kernel/tasks.js';
import { forTenant, systemWide } from '../../db/db.js';

const ABANDONED_AFTER_MS = 24 * 3600_000;

/** Hourly, per centre: expired idempotency keys, uploads presigned more than 24 h ago but never confirmed (enrolment's retention follows: src/modules/index.ts). */
export async function cleanupTenant(deps: TaskDeps, t: TenantEntry, now: Date) {
  const idempotencyKeys = await deps.db.scoped(forTenant(t.id), (tx) => idempotencyRepository.deleteExpired(tx, t.id, now));
  let uploads = 0;
  for (;;) {
    const batch = await deps.db.scoped(forTenant(t.id), (tx) => maintenanceRepository.abandonedUploads(tx, t.id, new Date(now.getTime() - ABANDONED_AFTER_MS)));
    if (!batch.length) break;
    // Objects first: a row left behind is retried next hour; an object whose row is gone would be orphaned for good.
    for (const f of batch) await deps.storage?.delete(f.storageKey).catch((err) => deps.logger.warn({ err, fileId: f.id }, 'could not delete an abandoned upload'));
    uploads += await deps.db.scoped(forTenant(t.id), (tx) => maintenanceRepository.deleteFiles(tx, t.id, batch.map((f) => f.id)));
    if (batch.length < 500) break;
  }
  return { idempotencyKeys, uploads };
}

/** Delivered (or given-up) outbox events are kept this long for inspection. */
const OUTBOX_KEEP_DAYS = 7;

/** Once per run, outside any centre: idempotency keys made before the caller had a centre, expired sessions, old outbox rows. */
export async function cleanupSystem(deps: TaskDeps, now: Date) {
  const idempotencyKeys = await deps.db.scoped(systemWide(), (tx) => idempotencyRepository.deleteExpired(tx, null, now));
  const sessions = await deps.db.scoped(systemWide(), (tx) => sessionsRepository.deleteExpired(tx, now));
  const outboxEvents = await deps.db.scoped(systemWide(), (tx) => outboxRepository.purge(tx, OUTBOX_KEEP_DAYS));
  return { idempotencyKeys, sessions, outboxEvents };
}
