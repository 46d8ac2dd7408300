import { createContainer } from '../container.js';
import { ConfigError, configWarnings, loadConfig } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { startPgBossWorker } from '../workers/pgboss.js';

/**
 * `npm run worker`: a background-job process for self-hosted deployments (JOBS_QUEUE=pgboss). Run as many as needed
 * beside the API processes; each job runs in one of them, and each scheduled tick in one of them.
 */
async function main() {
  const config = loadConfig();
  if (config.jobsQueue !== 'pgboss') throw new ConfigError('JOBS_QUEUE', 'must be pgboss for npm run worker (with DATABASE_URL)');
  const logger = createLogger(config.logLevel, undefined, { pretty: config.logPretty });
  // A promise nobody awaited that fails (a library's background query while PostgreSQL restarts) is logged, and the
  // worker goes on: its jobs are fenced by their leases, so nothing half-done is trusted, and ending the process
  // would only lose the jobs the other slots are running.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection; the worker keeps running'));
  for (const warning of configWarnings(config)) logger.warn({ event: 'config.warning' }, warning);

  let stopping = false;
  let stopWorker: (() => Promise<void>) | undefined;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker shutting down: no new jobs, finishing the running ones');
    await stopWorker?.();
    logger.info('worker stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  // Started while PostgreSQL is down or restarting: try again (1 s, doubling to 15 s) instead of exiting.
  for (let attempt = 1; !stopping; attempt++) {
    let container: Awaited<ReturnType<typeof createContainer>> | undefined;
    try {
      container = await createContainer(config, { queueRole: 'worker', logger });
      if (!config.isProduction) await container.db.migrate();
      const worker = await startPgBossWorker(container);
      logger.info({ role: 'worker', concurrency: config.jobs.workerConcurrency, ...container.setup }, 'daycare worker started');
      const started = container;
      stopWorker = async () => {
        await worker.stop(config.shutdownDrainSeconds * 1000).catch((err) => logger.warn({ err }, 'stopping pg-boss failed'));
        await started.close().catch((err) => logger.warn({ err }, 'closing the pools failed'));
      };
      if (stopping) await stopWorker();
      return;
    } catch (err) {
      await container?.close().catch(() => undefined);
      if (!isUnreachable(err)) throw err;
      const delay = Math.min(15_000, 1000 * 2 ** (attempt - 1));
      logger.warn({ err, attempt, retryInMs: delay }, 'the database is not reachable; the worker tries again');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** The database is down, restarting or out of reach (not a configuration or schema problem). */
function isUnreachable(err: unknown): boolean {
  for (let e: any = err, i = 0; e && i < 4; e = e.cause, i++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE'].includes(code)) return true;
    // admin_shutdown, crash_shutdown, cannot_connect_now (starting up), too_many_connections, connection exceptions
    if (['57P01', '57P02', '57P03', '53300'].includes(code) || code.startsWith('08')) return true;
    if (/Connection terminated|timeout exceeded when trying to connect|the database system is (starting up|shutting down)/i.test(String(e.message))) return true;
  }
  return false;
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `daycare worker failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
