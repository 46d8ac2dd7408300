import type { Logger } from '../../core/logger.js';
import type { TasksService } from '../../modules/tasks/index.js';
import type { ScheduledTask } from '../../kernel/tasks.js';

export { SCHEDULED_TASKS, type ScheduledTask } from '../../kernel/tasks.js';

/**
 * Runs one scheduled task for every centre (the same code from EventBridge Scheduler on Lambda and from the local
 * in-process scheduler). The tasks service lists the centres and does each centre's work; one centre's failure does
 * not stop the others.
 */
export async function runScheduledTask(tasks: TasksService, logger: Logger, task: ScheduledTask, now: Date) {
  const tenants = await tasks.centres();
  const totals: Record<string, number> = {};
  let failed = 0;
  for (const t of tenants) {
    try {
      const r = await tasks.runForCentre(task, t, now);
      for (const [k, v] of Object.entries(r)) totals[k] = (totals[k] ?? 0) + v;
    } catch (err) {
      failed++;
      logger.error({ task, tenantId: t.id, err }, 'scheduled task failed for a centre');
    }
  }
  for (const [k, v] of Object.entries(await tasks.runSystem(task, now))) totals[k] = (totals[k] ?? 0) + v;
  logger.info({ task, tenants: tenants.length, failed, ...totals }, 'scheduled task done');
  if (failed) throw new Error(`${task} failed for ${failed} of ${tenants.length} centres`);
  return { tenants: tenants.length, ...totals };
}
