import { sql } from 'drizzle-orm';
import type { Tx } from './db.js';

/**
 * The database's clock: the one source of event times (clock-in/out, check-in/out, moves) and of the checks on them
 * (README, "Event times"). One server clock for every API process, so a step of a host's clock cannot stamp a
 * clock-in a day ahead and strand it. `now()` is the transaction's start, so every time one request writes agrees.
 */
export async function databaseNow(tx: Tx): Promise<Date> {
  const res = (await tx.execute(sql`select to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as now`)) as unknown as { rows: { now: string }[] };
  return new Date(res.rows[0]!.now);
}
