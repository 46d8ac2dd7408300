import { openDatabase } from '../../src/db/db.js';

/** With DATABASE_URL set, migrate the server database once before the suite (the migrator also takes an advisory lock). */
export default async function setup() {
  if (!process.env.DATABASE_URL) return;
  const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL });
  try {
    await db.migrate();
  } finally {
    await db.close();
  }
}
