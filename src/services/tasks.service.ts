import { tenantsRepository } from '../repositories/tenancy.repository.js';
import { cleanupSystem, cleanupTenant } from './tasks/cleanup.js';
import { remindIncidents } from './tasks/incident-reminders.js';
import { remindTenant } from './tasks/reminders.js';
import { rollupTenant } from './tasks/rollup.js';
import type { ScheduledTask, TaskDeps, TenantEntry } from './tasks/types.js';
import { systemWide } from '../repositories/db.js';

export { SCHEDULED_TASKS, type ScheduledTask, type TenantEntry } from './tasks/types.js';

const PER_TENANT: Record<ScheduledTask, (deps: TaskDeps, t: TenantEntry, now: Date) => Promise<Record<string, number>>> = {
  'attendance.rollup': rollupTenant,
  'attendance.reminders': remindTenant,
  'incidents.reminders': remindIncidents,
  cleanup: cleanupTenant,
};

/**
 * The work of the scheduled tasks (the scheduler in src/workers/ decides when, and loops over the centres). Each
 * centre's work runs in its own tenant transactions.
 */
export function createTasksService(deps: TaskDeps) {
  return {
    /** Every centre: ids, time zones, closing times only (the system scope). */
    centres: (): Promise<TenantEntry[]> => deps.db.scoped(systemWide(), (tx) => tenantsRepository.directory(tx)),
    /** One task for one centre; answers its counts. */
    runForCentre: (task: ScheduledTask, t: TenantEntry, now: Date) => PER_TENANT[task](deps, t, now),
    /** The part of a task outside any centre (cleanup only). */
    runSystem: async (task: ScheduledTask, now: Date): Promise<Record<string, number>> => (task === 'cleanup' ? cleanupSystem(deps, now) : {}),
  };
}
export type TasksService = ReturnType<typeof createTasksService>;
