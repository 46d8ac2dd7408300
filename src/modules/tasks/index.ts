/** Scheduled tasks: the per-centre runner the worker host calls (src/workers/schedules/), and the cleanup task. */
export { createTasksService, type TasksService } from './tasks.service.js';
export { SCHEDULED_TASKS, type ScheduledTask, type TenantEntry } from '../../kernel/tasks.js';
