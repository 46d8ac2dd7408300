import { ConfigError } from '../core/config.js';
import { resolveSecrets } from '../core/secrets.js';
import { openDatabase } from '../db/db.js';

/**
 * Lambda handler that applies the SQL migrations (run by the deploy's trigger before the new code goes live, or by
 * hand: `aws lambda invoke --function-name <MigrateFunctionName> out.json`). It needs only the database URL, so it
 * does not load the whole configuration. The migrator holds an advisory lock, so concurrent runs are safe; a failure
 * throws, which fails the invocation and therefore the deploy.
 */
export async function handler(_event?: unknown): Promise<{ ok: true; engine: 'pg' | 'pglite'; ms: number }> {
  const started = Date.now();
  await resolveSecrets(process.env);
  const databaseUrl = process.env.DATABASE_URL?.trim() || undefined;
  if (!databaseUrl && process.env.NODE_ENV === 'production')
    throw new ConfigError('DATABASE_URL', 'is required when NODE_ENV=production (or DATABASE_URL_SECRET_ARN)');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new ConfigError('DATABASE_URL', 'must be a URL (postgres: or postgresql:)');
  const db = await openDatabase({ databaseUrl, dataDir: process.env.DATA_DIR?.trim() || './.data', poolMax: 1 });
  try {
    await db.migrate();
  } catch (err) {
    console.error(`migrations failed (${db.kind}): ${err instanceof Error ? err.message : String(err)}`);
    throw err;
  } finally {
    await db.close();
  }
  const result = { ok: true as const, engine: db.kind, ms: Date.now() - started };
  console.log(JSON.stringify({ msg: 'migrations applied', ...result }));
  return result;
}
