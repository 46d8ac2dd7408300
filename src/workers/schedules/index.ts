import { tenantsRepository } from '../../repositories/tenancy.repository.js';
import { cleanupSystem, cleanupTenant } from './cleanup.js';
import { remindTenant } from './reminders.js';
import { rollupTenant } from './rollup.js';
import type { ScheduledTask, TaskDeps, TenantEntry } from './types.js';

export { SCHEDULED_TASKS, type ScheduledTask } from './types.js';

const PER_TENANT: Record<ScheduledTask, (deps: TaskDeps, t: TenantEntry, now: Date) => Promise<Record<string, number>>> = {
  'attendance.rollup': rollupTenant,
  'attendance.reminders': remindTenant,
  cleanup: cleanupTenant,
};

/**
 * Runs one scheduled task for every centre (the same code from EventBridge Scheduler on Lambda and from the local
 * in-process scheduler). Centres are listed in the system scope (ids, time zones, closing times only); each centre's
 * work then runs in its own tenant transactions. One centre's failure does not stop the others.
 */
export async function runScheduledTask(deps: TaskDeps, task: ScheduledTask, now = deps.clock.now()) {
  const tenants = await deps.db.scoped({ tenantId: null, system: true }, (tx) => tenantsRepository.directory(tx));
  const totals: Record<string, number> = {};
  let failed = 0;
  for (const t of tenants) {
    try {
      const r = await PER_TENANT[task](deps, t, now);
      for (const [k, v] of Object.entries(r)) totals[k] = (totals[k] ?? 0) + v;
    } catch (err) {
      failed++;
      deps.logger.error({ task, tenantId: t.id, err: err instanceof Error ? `${err.message} ${(err as any).cause?.message ?? ''}`.trim() : String(err) }, 'scheduled task failed for a centre');
    }
  }
  if (task === 'cleanup') {
    const r = await cleanupSystem(deps, now);
    for (const [k, v] of Object.entries(r)) totals[k] = (totals[k] ?? 0) + v;
  }
  deps.logger.info({ task, tenants: tenants.length, failed, ...totals }, 'scheduled task done');
  if (failed) throw new Error(`${task} failed for ${failed} of ${tenants.length} centres`);
  return { tenants: tenants.length, ...totals };
}
