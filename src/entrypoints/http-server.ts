import { serve } from '@hono/node-server';
import { createApp } from '../api/app.js';
import { createContainer } from '../container.js';
import { ConfigError, loadConfig } from '../core/config.js';
import { startBackground } from '../workers/runtime.js';
import { browserUrl, startupBanner } from './browser-url.js';

/** Local hosting: a plain Node server. Migrates first (always on PGlite; on a server unless NODE_ENV=production). */
async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
  const container = await createContainer(config);
  const { logger, db } = container;
  if (db.kind === 'pglite' || !config.isProduction) {
    await db.migrate();
    logger.info({ engine: db.kind }, 'migrations applied');
  }
  const app = createApp(container);
  const background = await startBackground(container);
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info({ port: info.port, host: config.host, database: db.kind, cache: container.cache.kind, localAuth: config.localAuth }, 'daycare api listening');
    console.log(startupBanner(browserUrl({ host: config.host, port: info.port, publicUrl: config.publicUrl })));
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close();
    await background.stop();
    await container.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error(`daycare api failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
