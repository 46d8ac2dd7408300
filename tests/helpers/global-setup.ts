import { openDatabase } from '../../src/db/db.js';
import { ensurePgliteTemplate, TEMPLATE_ENV } from './pglite-template.js';

/**
 * Before the suite: the migrated PGlite dump every in-memory test database loads (inherited by the test processes
 * through the environment), and with DATABASE_URL set, the server database migrated once (the migrator also takes an
 * advisory lock).
 */
export default async function setup() {
  process.env[TEMPLATE_ENV] = await ensurePgliteTemplate();
  if (!process.env.DATABASE_URL) return;
  const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL });
  try {
    await db.migrate();
  } finally {
    await db.close();
  }
}
