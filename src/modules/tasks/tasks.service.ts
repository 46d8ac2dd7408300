import { tenantsRepository } from '../../db/tenancy.repository.js';
import { cleanupSystem } from './cleanup.task.js';
import type { PerTenantTask, ScheduledTask, TaskDeps, TenantEntry } from '../../kernel/tasks.js';
import { systemWide } from '../../db/db.js';

export { SCHEDULED_TASKS, type ScheduledTask, type TenantEntry } from '../../kernel/tasks.js';

/**
 * The work of the scheduled tasks (the scheduler in src/workers/ decides when, and loops over the centres). Each
 * centre's work runs in its own tenant transactions.
 */
export function createTasksService({ perTenant, ...deps }: TaskDeps & { /** Each task's work for one centre, as the modules register it (src/modules/index.ts). */ perTenant: Record<ScheduledTask, readonly PerTenantTask[]> }) {
  return {
    /** Every centre: ids, time zones, closing times only (the system scope). */
    centres: (): Promise<TenantEntry[]> => deps.db.scoped(systemWide(), (tx) => tenantsRepository.directory(tx)),
    /** One task for one centre, each module's part in turn; answers their counts. */
    runForCentre: async (task: ScheduledTask, t: TenantEntry, now: Date) => {
      const counts: Record<string, number> = {};
      for (const part of perTenant[task]) Object.assign(counts, await part(deps, t, now));
      return counts;
    },
    /** The part of a task outside any centre (cleanup only). */
    runSystem: async (task: ScheduledTask, now: Date): Promise<Record<string, number>> => (task === 'cleanup' ? cleanupSystem(deps, now) : {}),
  };
}
export type TasksService = ReturnType<typeof createTasksService>;
