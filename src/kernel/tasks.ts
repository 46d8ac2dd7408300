import type { ServiceDeps } from './deps.js';

export const SCHEDULED_TASKS = ['attendance.rollup', 'attendance.reminders', 'incidents.reminders', 'cleanup'] as const;
export type ScheduledTask = (typeof SCHEDULED_TASKS)[number];

export type TaskDeps = Pick<ServiceDeps, 'db' | 'clock' | 'logger' | 'storage'>;
/** One scheduled task's work for one centre (its counts); the modules register theirs (src/modules/index.ts, TASKS). */
export type PerTenantTask = (deps: TaskDeps, t: TenantEntry, now: Date) => Promise<Record<string, number>>;
/** The author of system messages: no membership has this id. */
export const SYSTEM_AUTHOR = '00000000-0000-0000-0000-000000000000';
/** A centre as the system-scope directory lists it. */
export interface TenantEntry {
  id: string;
  timezone: string;
  closingTime: string;
}
