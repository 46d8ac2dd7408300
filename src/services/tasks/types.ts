import type { ServiceDeps } from '../deps.js';

export const SCHEDULED_TASKS = ['attendance.rollup', 'attendance.reminders', 'incidents.reminders', 'cleanup'] as const;
export type ScheduledTask = (typeof SCHEDULED_TASKS)[number];

export type TaskDeps = Pick<ServiceDeps, 'db' | 'clock' | 'logger' | 'storage'>;
/** A centre as the system-scope directory lists it. */
export interface TenantEntry {
  id: string;
  timezone: string;
  closingTime: string;
}
