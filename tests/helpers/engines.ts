import { openDatabase, type Database } from '../../src/db/db.js';
import { pgliteTemplate } from './pglite-template.js';

export type Engine = 'pglite' | 'pg';

/**
 * `.ci/run` runs the suite twice, with the servers and on embedded defaults; in its run with the servers it sets
 * DAYCARE_TEST_SERVERS_ONLY=1, so the tests written once per engine or cache kind leave PGlite and the in-process cache
 * to the embedded run instead of repeating them. Without it (`npm test` anywhere else) nothing is left out.
 */
export const SERVERS_ONLY = process.env.DAYCARE_TEST_SERVERS_ONLY === '1';

/** PGlite (unless SERVERS_ONLY); the real server too when DATABASE_URL is set (CI sets it). */
export const ENGINES: Engine[] = process.env.DATABASE_URL ? (SERVERS_ONLY ? ['pg'] : ['pglite', 'pg']) : ['pglite'];
/** The engine HTTP tests run on: the server when configured, else PGlite. */
export const DEFAULT_ENGINE: Engine = process.env.DATABASE_URL ? 'pg' : 'pglite';

/** The server database is migrated once by the global setup; PGlite starts from the run's migrated dump (pglite-template.ts). */
export async function openTestDatabase(engine: Engine): Promise<Database> {
  const db =
    engine === 'pg'
      ? await openDatabase({ databaseUrl: process.env.DATABASE_URL, poolMax: 5 })
      : await openDatabase({ dataDir: 'memory://', loadDataDir: await pgliteTemplate() });
  await db.migrate();
  return db;
}
