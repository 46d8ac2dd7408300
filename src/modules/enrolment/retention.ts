import { auditRepository } from '../../db/audit.repository.js';
import { forTenant, type Database } from '../../db/db.js';
import { applicationsRepository, waitlistSettingsRepository } from './enrolment.repository.js';
import { DEFAULT_WAITLIST } from './applications.dto.js';
import type { PerTenantTask } from '../../kernel/tasks.js';

const BATCH = 500;

/** `months` calendar months before `now` (UTC), clamped to the month's last day. */
export function monthsBefore(now: Date, months: number): Date {
  const d = new Date(now.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d;
}

/**
 * Applications are personal data of families who are not yet customers: the hourly cleanup purges those closed more
 * than the centre's `waitlist.applicationRetentionMonths` ago (default 24), each purge audited — with the id, the
 * status and when it closed, never the family's details.
 */
export async function purgeClosedApplications(db: Pick<Database, 'scoped'>, tenantId: string, now: Date): Promise<number> {
  let purged = 0;
  for (;;) {
    const n = await db.scoped(forTenant(tenantId), async (tx) => {
      const settings = await waitlistSettingsRepository.get(tx, tenantId);
      const cutoff = monthsBefore(now, settings?.retentionMonths ?? DEFAULT_WAITLIST.applicationRetentionMonths);
      const rows = await applicationsRepository.purgeClosed(tx, tenantId, cutoff, BATCH);
      for (const r of rows)
        await auditRepository.append(tx, {
          tenantId,
          action: 'application.purged',
          targetType: 'application',
          targetId: r.id,
          before: { status: r.status, closedAt: (r.closedAt ?? r.offerExpiresAt)?.toISOString() ?? null },
        });
      return rows.length;
    });
    purged += n;
    if (n < BATCH) return purged;
  }
}

/** The hourly cleanup's part for enrolment (src/modules/index.ts, TASKS): applications closed longer ago than the centre keeps them. */
export const retentionTask: PerTenantTask = async (deps, t, now) => ({ applications: await purgeClosedApplications(deps.db, t.id, now) });
