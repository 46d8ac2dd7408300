/**
 * `tsx bench/billing-run.ts --db daycare_bench_1000 [--centres 1000] [--concurrency 2]`: times a month's billing run on
 * the scale data set (bench/seed-billing.ts) — one centre alone, then every centre, `concurrency` centres at a time —
 * and runs it again to show that a repeated run changes nothing. Each centre's run is exactly what the `billing.run`
 * job does (the service's `runBatch` over the accounts in batches of BILLING_RUN_BATCH), without the job row's
 * checkpoint writes. Prints wall times, accounts per second and the process's peak memory.
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createContainer } from '../src/container.js';
import { loadConfig } from '../src/core/config.js';
import { openDatabase } from '../src/db/db.js';
import { BILLING_RUN_BATCH } from '../src/modules/billing/billing-run.job.js';

const arg = (name: string, dflt: string) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1]! : dflt);
const DB = arg('db', 'daycare_bench_1000');
const CENTRES = Number(arg('centres', '1000'));
const CONCURRENCY = Number(arg('concurrency', '2'));
const u = new URL(process.env.BENCH_ADMIN_URL ?? 'postgres://root@127.0.0.1:5432/postgres');
u.pathname = `/${DB}`;
const DATABASE_URL = u.toString();

async function main() {
  const db = await openDatabase({ databaseUrl: DATABASE_URL, poolMax: CONCURRENCY + 1 });
  const config = loadConfig({ DATABASE_URL, DATA_DIR: path.resolve('.bench/data'), LOG_LEVEL: 'silent', NODE_ENV: 'test' });
  const container = await createContainer(config, { db });
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  const centres = (
    await client.query(`select t.id tenant_id, m.id membership_id from tenants t join memberships m on m.tenant_id = t.id and 'owner' = any(m.roles)
      where exists (select 1 from billing_accounts a where a.tenant_id = t.id) order by t.name limit $1`, [CENTRES])
  ).rows as { tenant_id: string; membership_id: string }[];
  const period = new Date().toISOString().slice(0, 7);
  let peakRss = 0;
  let peakHeap = 0;
  const sample = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 50);

  const runCentre = async (c: { tenant_id: string; membership_id: string }) => {
    const actor = { tenantId: c.tenant_id, membershipId: c.membership_id, jobId: randomUUID() };
    const totals = { created: 0, rebuilt: 0, skipped: 0 };
    let after: string | undefined;
    for (;;) {
      const r = await container.billing.invoices.runBatch(actor, period, after, BILLING_RUN_BATCH);
      totals.created += r.counts.created;
      totals.rebuilt += r.counts.rebuilt;
      totals.skipped += r.counts.skipped;
      after = r.last ?? after;
      if (r.done) break;
    }
    return totals;
  };
  const runAll = async (list: typeof centres) => {
    const sum = { created: 0, rebuilt: 0, skipped: 0 };
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < list.length) {
          const r = await runCentre(list[next++]!);
          sum.created += r.created;
          sum.rebuilt += r.rebuilt;
          sum.skipped += r.skipped;
        }
      }),
    );
    return { ...sum, ms: performance.now() - t0 };
  };
  const state = async () =>
    (
      await client.query(`select count(*)::int drafts, coalesce(sum(total), 0)::bigint total, coalesce(sum(version), 0)::bigint versions,
        (select count(*)::int from billing_invoice_lines l join billing_invoices i on i.tenant_id = l.tenant_id and i.id = l.invoice_id where i.period = $1) lines
        from billing_invoices where period = $1 and state = 'draft'`, [period])
    ).rows[0];
  const report = (label: string, r: { created: number; rebuilt: number; skipped: number; ms: number }, accounts: number) =>
    console.log(`${label.padEnd(34)} ${(r.ms / 1000).toFixed(2).padStart(8)} s  ${String(Math.round(accounts / (r.ms / 1000))).padStart(6)} accounts/s  created ${r.created}, rebuilt ${r.rebuilt}, skipped ${r.skipped}`);
  const accountsOf = async (ids: string[]) => (await client.query(`select count(*)::int n from billing_accounts where tenant_id = any($1::uuid[])`, [ids])).rows[0].n as number;

  // Start from no draft of the period (a previous bench run's drafts are removed), so "created" is a first run.
  await client.query(`delete from billing_invoices where period = $1 and state = 'draft'`, [period]);
  console.log(`period ${period}, ${centres.length} centres, concurrency ${CONCURRENCY}, batches of ${BILLING_RUN_BATCH} accounts`);
  const one = centres.slice(0, 1);
  const oneAccounts = await accountsOf(one.map((c) => c.tenant_id));
  report('one centre, first run', await runAll(one), oneAccounts);
  report('one centre, again', await runAll(one), oneAccounts);
  const rest = centres.slice(1);
  const restAccounts = await accountsOf(rest.map((c) => c.tenant_id));
  report(`${rest.length} more centres, first run`, await runAll(rest), restAccounts);
  const before = await state();
  const again = await runAll(centres);
  report(`all ${centres.length} centres, again`, again, oneAccounts + restAccounts);
  const after = await state();
  console.log(`drafts before/after the repeat: ${JSON.stringify(before)} / ${JSON.stringify(after)} → ${JSON.stringify(before) === JSON.stringify(after) ? 'unchanged' : 'CHANGED'}`);
  const adjustments = (await client.query(`select count(*)::int n from billing_invoice_lines l join billing_invoices i on i.tenant_id = l.tenant_id and i.id = l.invoice_id where i.period = $1 and l.kind = 'adjustment'`, [period])).rows[0].n;
  console.log(`adjustment lines in the drafts: ${adjustments}`);
  clearInterval(sample);
  console.log(`peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB, peak heap used ${(peakHeap / 2 ** 20).toFixed(0)} MiB`);
  await client.end();
  await container.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
