import { createApp } from '../api/app.js';
import { createContainer, type Container } from '../container.js';
import { ConfigError, configWarnings, loadConfig, type Config } from '../core/config.js';
import { DataDirError, isUnavailableError } from '../core/errors.js';
import { startBackground } from '../workers/runtime.js';
import { browserUrl, startupBanner } from './browser-url.js';
import { startNodeServer } from './node-server.js';

/** Local hosting: a plain Node server. Migrates first (always on PGlite; on a server unless NODE_ENV=production). */
async function main() {
  const config = loadConfig();
  let container: Container;
  try {
    container = await createContainer(config);
    if (container.db.kind === 'pglite' || !config.isProduction) {
      await container.db.migrate();
      container.logger.info({ engine: container.db.kind }, 'migrations applied');
    }
    await container.checkCache();
  } catch (err) {
    throw startupError(err, config);
  }
  const { logger } = container;
  for (const warning of configWarnings(config)) logger.warn({ event: 'config.warning' }, warning);
  const app = createApp(container);
  const background = await startBackground(container);
  const host = await startNodeServer(app.fetch as never, { port: config.port, host: config.host }).catch(async (err) => {
    await container.close().catch(() => undefined);
    throw startupError(err, config);
  });
  logger.info({ port: host.port, host: config.host, ...container.setup, localAuth: config.localAuth }, 'daycare api listening');
  console.log(startupBanner(browserUrl({ host: config.host, port: host.port, publicUrl: config.publicUrl })));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const deadline = Date.now() + config.shutdownDrainSeconds * 1000;
    logger.info({ signal, inFlight: host.inFlight }, 'shutting down: no new connections, finishing requests in flight');
    // 1. Stop accepting and let the requests in flight finish (bounded).
    const cut = await host.shutdown(config.shutdownDrainSeconds * 1000);
    if (cut) logger.error({ cut }, 'requests still running at the drain limit were cut');
    // 2. Stop the scheduler and the in-process queue: a job still running when time is up stays unfinished in the
    //    database and is queued again at the next start (jobs.recover()).
    await background.stop();
    await container.drainQueue(Math.max(0, deadline - Date.now()));
    // 3. Only then close the pools.
    await container.close().catch((err) => logger.warn({ err }, 'closing the pools failed'));
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** One line that names what to fix: the variable, the address in use, the database that cannot be reached. */
function startupError(err: unknown, config: Config): Error {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE') return new Error(`PORT ${config.port} on ${config.host} is already in use (set PORT or HOST)`);
  if (e?.code === 'EACCES' && e.syscall === 'listen') return new Error(`PORT ${config.port} on ${config.host} may not be opened by this user (set PORT)`);
  if (err instanceof Error && /REDIS_URL/.test(err.message)) return err;
  // Embedded mode: the data directory, named, with the cause (read-only, out of space), never "[object Object]".
  if (err instanceof DataDirError) return err;
  if (['EROFS', 'ENOSPC', 'EACCES', 'EPERM'].includes(String(e?.code)) && e.path)
    return new Error(`DATA_DIR: ${e.path} cannot be written (${e.code}) (set DATA_DIR to a writable directory with space)`);
  if (isUnavailableError(err) || (config.databaseUrl && /connect|database|password|role|SSL/i.test(String(e?.message)))) {
    const where = config.databaseUrl ? safeHost(config.databaseUrl) : config.dataDir;
    return new Error(`DATABASE_URL: the database at ${where} cannot be used (${oneLine(e?.message ?? String(err))})`);
  }
  return err instanceof Error ? err : new Error(oneLine(JSON.stringify(err) ?? String(err)));
}

function safeHost(url: string) {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'the configured address';
  }
}
const oneLine = (s: string) => s.replace(/\s+/g, ' ').slice(0, 200);

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `daycare api failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
