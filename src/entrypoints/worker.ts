import { createContainer } from '../container.js';
import { ConfigError, loadConfig } from '../core/config.js';
import { startPgBossWorker } from '../workers/pgboss.js';

/**
 * `npm run worker`: a background-job process for self-hosted deployments (JOBS_QUEUE=pgboss). Run as many as needed
 * beside the API processes; each job runs in one of them, and each scheduled tick in one of them.
 */
async function main() {
  const config = loadConfig();
  if (config.jobsQueue !== 'pgboss') throw new ConfigError('JOBS_QUEUE', 'must be pgboss for npm run worker (with DATABASE_URL)');
  const container = await createContainer(config, { queueRole: 'worker' });
  const { logger } = container;
  if (!config.isProduction) await container.db.migrate();
  const worker = await startPgBossWorker(container);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker shutting down: no new jobs, finishing the running ones');
    await worker.stop(config.shutdownDrainSeconds * 1000).catch((err) => logger.warn({ err: String(err) }, 'stopping pg-boss failed'));
    await container.close().catch((err) => logger.warn({ err: String(err) }, 'closing the pools failed'));
    logger.info('worker stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `daycare worker failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
