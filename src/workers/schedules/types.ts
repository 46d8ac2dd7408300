import type { WorkerDeps } from '../job-types.js';

export type TaskDeps = Pick<WorkerDeps, 'db' | 'clock' | 'logger' | 'storage'>;
/** A centre as the system-scope directory lists it. */
export interface TenantEntry {
  id: string;
  timezone: string;
  closingTime: string;
}
export const SCHEDULED_TASKS = ['attendance.rollup', 'attendance.reminders', 'cleanup'] as const;
export type ScheduledTask = (typeof SCHEDULED_TASKS)[number];
