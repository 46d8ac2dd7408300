import type { Logger } from '../core/logger.js';
import type { WorkerHost } from './host.js';

/**
 * Every half lease, sends again the running jobs whose lease ran out (their run died), so another run takes each over
 * within seconds. A failed sweep (the database restarting) is logged and tried again at the next tick.
 */
export function startSweeper(workers: Pick<WorkerHost, 'sweepLost'>, logger: Logger, leaseSeconds: number) {
  let busy = false;
  const timer = setInterval(
    () => {
      if (busy) return;
      busy = true;
      workers
        .sweepLost()
        .catch((err) => logger.warn({ err }, 'could not sweep jobs whose run died'))
        .finally(() => (busy = false));
    },
    Math.max(500, (leaseSeconds * 1000) / 2),
  );
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
