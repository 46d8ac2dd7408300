import { createContainer, type Container } from '../container.js';
import { ConfigError, loadConfig } from '../core/config.js';
import { resolveSecrets } from '../core/secrets.js';

/**
 * The shared cold-start bootstrap of the Lambda functions: resolve the `*_SECRET_ARN` secrets, parse the config and
 * build the container — once per execution environment. The promise is memoised; when it fails it is forgotten, so
 * the next invocation tries again (a secret fixed in the meantime is picked up without a redeploy).
 */
let pending: Promise<Container> | undefined;

export function getContainer(): Promise<Container> {
  pending ??= boot().catch((err) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function boot(): Promise<Container> {
  await resolveSecrets(process.env);
  // Each environment serves one request at a time: a pool of 2 is plenty and keeps the database's connections low.
  process.env.DB_POOL_MAX ??= '2';
  const config = loadConfig(process.env);
  const container = await createContainer(config);
  // Production never migrates on a cold start (the Migrate function does, during the deploy). An embedded PGlite
  // (a bundle invoked on a laptop without DATABASE_URL) has nobody else to migrate it.
  if (container.db.kind === 'pglite') await container.db.migrate();
  return container;
}

/** One log line for a failed cold start: the variable for a config error, the message otherwise (never a value). */
export function describeStartupError(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  return `daycare failed to start: ${err instanceof Error ? err.message : String(err)}`;
}

/** Tests only: forget the container (closing it), as if the next invocation were a new cold start. */
export async function resetForTests(): Promise<void> {
  const p = pending;
  pending = undefined;
  if (p) await p.then((c) => c.close()).catch(() => undefined);
}
