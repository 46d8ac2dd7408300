import { Cron } from 'croner';
import type { Logger } from '../../core/logger.js';
import type { ScheduledTask } from '../../kernel/tasks.js';

/** The schedules, the same on Lambda (EventBridge Scheduler, infra/) and locally (in-process, below). */
export const SCHEDULES: Record<ScheduledTask, string> = {
  'attendance.rollup': '15 * * * *',
  'attendance.reminders': '*/15 * * * *',
  'incidents.reminders': '30 * * * *',
  cleanup: '0 * * * *',
};

/** Local in-process scheduler: runs each task on its schedule, never two runs of one task at once. */
export function startScheduler(run: (task: ScheduledTask) => Promise<unknown>, logger: Logger) {
  const jobs = (Object.keys(SCHEDULES) as ScheduledTask[]).map(
    (task) =>
      new Cron(SCHEDULES[task], { protect: true, name: task, catch: (err) => logger.error({ task, err }, 'scheduled task failed') }, async () => {
        await run(task);
      }),
  );
  return {
    stop() {
      for (const j of jobs) j.stop();
    },
  };
}
