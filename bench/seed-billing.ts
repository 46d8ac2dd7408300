/**
 * Billing data for the scale data set (called by bench/seed-scale.ts; also `tsx bench/seed-billing.ts --tenants N --db NAME`
 * on a database seeded already). Per centre: settings, 3 plans, 70 family accounts (30 with two children: the 100
 * children of the centre), a subscription per child, the 3 months before the current one invoiced and issued (numbers
 * 1…210), an `invoice` ledger entry per invoice, and a recorded payment (+ its `payment` entry) for the two older
 * months — the newest month stays open. The lines are what the run computes for those months (full-month tuition, no
 * sibling discount), so a run of the current month makes tuition drafts and no adjustment. The owner gets `billing`.
 * 1,000 centres: 70,000 accounts, 100,000 subscriptions, 210,000 invoices, 300,000 lines, 140,000 payments, 350,000
 * ledger entries, 1,000 refunds and 20,000 charges (pending or waived: never billed), generated inside the server with generate_series like the rest of the seed.
 */
import pg from 'pg';
import { fileURLToPath } from 'node:url';

const ACCOUNTS = 70; // families per centre: account k pays for child k, and accounts 1…30 also for child 70+k
const MONTHS = 3;
const CHUNK = 50;

const id = (kind: string, ...parts: string[]) => `md5('${kind}' || ${parts.join(" || '-' || ")})::uuid`;
/** The plan of child n: 1 + n % 3 (120000, 80000, 150000 minor units). */
const planAmount = (n: string) => `(array[120000, 80000, 150000])[1 + (${n}) % 3]`;

export async function seedBilling(c: pg.Client, tenants: number, log: (s: string) => void = () => undefined) {
  const t0 = performance.now();
  await c.query(`set session_replication_role = replica`);
  for (let from = 1; from <= tenants; from += CHUNK) {
    const to = Math.min(tenants, from + CHUNK - 1);
    const T = `generate_series(${from}, ${to}) t`;
    // m = 1 … MONTHS months before the current one; its period, first day and invoice number base.
    const M = `(select m, to_char(date_trunc('month', current_date) - make_interval(months => m), 'YYYY-MM') period,
      (date_trunc('month', current_date) - make_interval(months => m))::date first_day from generate_series(1, ${MONTHS}) m) mm`;
    const K = `generate_series(1, ${ACCOUNTS}) k`;
    await c.query('begin');
    await c.query(`update memberships set entitlements = array_append(entitlements, 'billing')
      where id in (select ${id('m', 't')} from ${T}) and not ('billing' = any(entitlements))`);
    await c.query(`insert into billing_settings (tenant_id, currency, due_day, last_invoice_number) select ${id('t', 't')}, 'USD', 5, ${MONTHS * ACCOUNTS} from ${T}`);
    await c.query(`insert into billing_plans (id, tenant_id, name, amount) select ${id('bp', 't', 'p')}, ${id('t', 't')}, (array['Full time', 'Part time', 'Infant'])[1 + p], ${planAmount('p')}
      from ${T}, generate_series(0, 2) p`);
    await c.query(`insert into billing_accounts (id, tenant_id, name) select ${id('ba', 't', 'k')}, ${id('t', 't')}, 'Family ' || k from ${T}, ${K}`);
    await c.query(`insert into billing_account_payers (tenant_id, account_id, guardian_id) select ${id('t', 't')}, ${id('ba', 't', 'k')}, ${id('g', 't', 'k')} from ${T}, ${K}`);
    // Child n's account: n for n ≤ 70, n − 70 above.
    await c.query(`insert into billing_account_students (tenant_id, account_id, student_id)
      select ${id('t', 't')}, ${id('ba', 't', '(case when n <= ' + ACCOUNTS + ' then n else n - ' + ACCOUNTS + ' end)')}, ${id('s', 't', 'n')} from ${T}, generate_series(1, 100) n`);
    await c.query(`insert into billing_subscriptions (id, tenant_id, student_id, plan_id, start_date)
      select ${id('bs', 't', 'n')}, ${id('t', 't')}, ${id('s', 't', 'n')}, ${id('bp', 't', '(n % 3)')}, (date_trunc('month', current_date) - interval '12 months')::date
      from ${T}, generate_series(1, 100) n`);
    // Invoices: one per account and month, issued on the 1st, due on the 5th, numbered by month then account.
    const total = `${planAmount('k')} + case when k <= 100 - ${ACCOUNTS} then ${planAmount(`(k + ${ACCOUNTS})`)} else 0 end`;
    await c.query(`insert into billing_invoices (id, tenant_id, account_id, period, number, state, total, issue_date, due_date, created_at, updated_at)
      select ${id('bi', 't', 'k', 'mm.period')}, ${id('t', 't')}, ${id('ba', 't', 'k')}, mm.period, (${MONTHS} - mm.m) * ${ACCOUNTS} + k, 'issued', ${total},
        mm.first_day, mm.first_day + 4, mm.first_day, mm.first_day
      from ${T}, ${K}, ${M}`);
    await c.query(`insert into billing_invoice_lines (tenant_id, invoice_id, position, kind, student_id, description, amount, service_from, service_to, plan_id, subscription_id)
      select ${id('t', 't')}, ${id('bi', 't', '(case when n <= ' + ACCOUNTS + ' then n else n - ' + ACCOUNTS + ' end)', 'mm.period')}, case when n <= ${ACCOUNTS} then 0 else 1 end, 'tuition',
        ${id('s', 't', 'n')}, (array['Full time', 'Part time', 'Infant'])[1 + n % 3] || ' (' || mm.period || ')', ${planAmount('n')},
        mm.first_day, (mm.first_day + interval '1 month' - interval '1 day')::date, ${id('bp', 't', '(n % 3)')}, ${id('bs', 't', 'n')}
      from ${T}, generate_series(1, 100) n, ${M}`);
    await c.query(`insert into billing_ledger_entries (tenant_id, account_id, type, amount, effective_date, invoice_id, memo, created_at)
      select ${id('t', 't')}, ${id('ba', 't', 'k')}, 'invoice', ${total}, mm.first_day, ${id('bi', 't', 'k', 'mm.period')},
        'Invoice ' || ((${MONTHS} - mm.m) * ${ACCOUNTS} + k) || ' (' || mm.period || ')', mm.first_day
      from ${T}, ${K}, ${M} order by mm.m desc, t, k`);
    // The two older months are paid in full on the 10th (bank transfer from the payer); the newest stays open.
    await c.query(`insert into billing_payments (id, tenant_id, account_id, amount, method, status, payer_guardian_id, received_on, succeeded_at, created_at, updated_at)
      select ${id('bpay', 't', 'k', 'mm.period')}, ${id('t', 't')}, ${id('ba', 't', 'k')}, ${total}, 'bank_transfer', 'succeeded', ${id('g', 't', 'k')},
        mm.first_day + 9, mm.first_day + 9, mm.first_day + 9, mm.first_day + 9
      from ${T}, ${K}, ${M} where mm.m > 1`);
    await c.query(`insert into billing_ledger_entries (tenant_id, account_id, type, amount, effective_date, payment_id, memo, created_at)
      select ${id('t', 't')}, ${id('ba', 't', 'k')}, 'payment', -(${total}), mm.first_day + 9, ${id('bpay', 't', 'k', 'mm.period')}, 'bank_transfer payment', mm.first_day + 9
      from ${T}, ${K}, ${M} where mm.m > 1 order by mm.m desc, t, k`);
    // A refund per centre (part of account 1's oldest payment, with its ledger entry), and charges: 10 late pickups
    // waiting for a decision and 10 waived one-off charges (neither is billed).
    await c.query(`insert into billing_refunds (id, tenant_id, payment_id, amount, reason, status, succeeded_at, created_at, updated_at)
      select ${id('bref', 't')}, ${id('t', 't')}, ${id('bpay', 't', '1', 'mm.period')}, 1000, 'Closed day', 'succeeded', mm.first_day + 20, mm.first_day + 20, mm.first_day + 20
      from ${T}, ${M} where mm.m = ${MONTHS}`);
    await c.query(`insert into billing_ledger_entries (tenant_id, account_id, type, amount, effective_date, payment_id, refund_id, memo, created_at)
      select ${id('t', 't')}, ${id('ba', 't', '1')}, 'refund', 1000, mm.first_day + 20, ${id('bpay', 't', '1', 'mm.period')}, ${id('bref', 't')}, 'Closed day', mm.first_day + 20
      from ${T}, ${M} where mm.m = ${MONTHS}`);
    await c.query(`insert into billing_charges (id, tenant_id, account_id, student_id, kind, description, amount, service_date, status)
      select ${id('bc', 't', 'k')}, ${id('t', 't')}, ${id('ba', 't', 'k')}, ${id('s', 't', 'k')}, case when k <= 10 then 'late_pickup' else 'manual' end,
        case when k <= 10 then 'Late pickup' else 'Field trip' end, 700 + k, current_date - k, case when k <= 10 then 'pending' else 'waived' end
      from ${T}, generate_series(1, 20) k`);
    await c.query('commit');
    log(`\rbilling: ${to}/${tenants} centres (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  await c.query(`set session_replication_role = origin`);
  const { rows } = await c.query(`select (select count(*) from billing_accounts) accounts, (select count(*) from billing_invoices) invoices,
    (select count(*) from billing_invoice_lines) lines, (select count(*) from billing_ledger_entries) ledger, (select count(*) from billing_payments) payments,
    (select count(*) from billing_refunds) refunds, (select count(*) from billing_charges) charges`);
  log(`\nbilling seeded: ${JSON.stringify(rows[0])} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = Object.fromEntries(process.argv.slice(2).join(' ').split('--').filter(Boolean).map((a) => a.trim().split(/[ =]/) as [string, string]));
  const tenants = Number(args.tenants ?? 1000);
  const url = new URL(process.env.BENCH_ADMIN_URL ?? 'postgres://root@127.0.0.1:5432/postgres');
  url.pathname = `/${args.db ?? `daycare_bench_${tenants}`}`;
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  await seedBilling(c, tenants, (s) => process.stdout.write(s));
  await c.query('analyze');
  await c.end();
}
