/**
 * `npm run bench:explain` (run by the benchmark, not by CI): drives the hot routes in-process against the scale data set,
 * captures every SQL statement they issue, and EXPLAINs each one as the app role under the tenant's RLS context.
 * Fails when a plan scans a tenant table sequentially or sorts without an index.
 */
import path from 'node:path';
import pg from 'pg';
import { createApp } from '../src/api/app.js';
import { createContainer } from '../src/container.js';
import { loadConfig } from '../src/core/config.js';
import { signLocalSupabaseToken } from '../src/core/security/supabase.js';
import { openDatabase } from '../src/db/db.js';

const DB = process.argv.includes('--db') ? process.argv[process.argv.indexOf('--db') + 1]! : 'daycare_bench_1000';
const ADMIN = process.env.BENCH_ADMIN_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const u = new URL(ADMIN);
u.pathname = `/${DB}`;
const DATABASE_URL = u.toString();
const TENANT_TABLES = new Set(['tenants', 'memberships', 'rooms', 'students', 'guardians', 'student_guardians', 'staff', 'staff_rooms', 'attendance', 'attendance_rollups', 'absences', 'care_entries', 'incidents', 'messages', 'message_reads', 'files', 'jobs', 'audit_logs', 'idempotency_keys', 'sessions', 'refresh_tokens', 'users',
  'billing_settings', 'billing_plans', 'billing_accounts', 'billing_account_payers', 'billing_account_students', 'billing_subscriptions', 'billing_charges',
  'billing_invoices', 'billing_invoice_lines', 'billing_payments', 'billing_refunds', 'billing_ledger_entries']);

/**
 * A sort bounded by one page (limit ≤ 200) of one centre's rows is cheap and the planner's own choice on small
 * per-centre tables; what must never happen is sorting a centre's whole history (attendance, messages) or more.
 */
const SORT_ROWS_ALLOWED = 200;

interface Captured {
  route: string;
  query: string;
  params: unknown[];
}

async function main() {
  const captured: Captured[] = [];
  let route = '';
  const db = await openDatabase({ databaseUrl: DATABASE_URL, poolMax: 2, queryLogger: { logQuery: (query, params) => captured.push({ route, query, params }) } });
  const config = loadConfig({ DATABASE_URL, DATA_DIR: path.resolve('.bench/data'), LOG_LEVEL: 'silent', NODE_ENV: 'test', RATE_LIMIT_PER_MINUTE: '10000000', RATE_LIMIT_AUTH_PER_MINUTE: '1000000' });
  const container = await createContainer(config, { db });
  const app = createApp(container);
  const call = async (name: string, method: string, p: string, cookie?: string, body?: unknown, csrf?: string) => {
    route = name;
    const res = await app.request(p, {
      method,
      headers: { ...(cookie ? { cookie } : {}), ...(body ? { 'content-type': 'application/json' } : {}), ...(csrf ? { 'x-csrf-token': csrf } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${name}: ${res.status} ${text}`);
    return { res, json: text ? JSON.parse(text) : null };
  };
  const signIn = async (email: string) => {
    const token = await signLocalSupabaseToken(container.localAuthSecret!, email);
    const { res, json } = await call('session: exchange', 'POST', '/auth/exchange', undefined, { accessToken: token });
    const jar = new Map(res.headers.getSetCookie().map((c) => c.split(';')[0]!.split('=') as [string, string]));
    const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let csrf = json.csrfToken as string;
    // An invited account accepts its invitation and switches there (nothing joins at sign-in).
    const inv = json.activeMembershipId ? null : json.invitations?.[0];
    if (inv) {
      await call('session: accept invitation', 'POST', `/invitations/${inv.id}/accept`, cookie(), {}, csrf);
      const sw = await call('session: switch', 'POST', '/auth/switch', cookie(), { membershipId: inv.id }, csrf);
      for (const c of sw.res.headers.getSetCookie()) jar.set(...(c.split(';')[0]!.split('=') as [string, string]));
      csrf = sw.json.csrfToken;
    }
    return { cookie: cookie(), csrf };
  };

  const t = 7;
  const owner = await signIn(`owner${t}@bench.example`);
  const students = (await call('GET /students?limit=50', 'GET', '/students?limit=50', owner.cookie)).json.items;
  await call('GET /students?cursor', 'GET', `/students?limit=50&cursor=${(await call('x', 'GET', '/students?limit=50', owner.cookie)).json.nextCursor}`, owner.cookie);
  const rooms = (await call('GET /rooms', 'GET', '/rooms', owner.cookie)).json.items;
  await call('GET /students?roomId', 'GET', `/students?roomId=${rooms[0].id}&limit=50`, owner.cookie);
  await call('GET /students/{id}', 'GET', `/students/${students[3].id}`, owner.cookie);
  await call('GET /guardians', 'GET', '/guardians?limit=50', owner.cookie);
  await call('GET /staff', 'GET', '/staff?limit=50', owner.cookie);
  await call('GET /rooms/{id}/roster', 'GET', `/rooms/${rooms[1].id}/roster`, owner.cookie);
  // The write path: a check-in and a check-out (the child is checked out first in case the seed left it in).
  const kid = students[5].id;
  await call('POST /attendance/check-out', 'POST', '/attendance/check-out', owner.cookie, { studentId: kid }, owner.csrf).catch(() => undefined);
  await call('POST /attendance/check-in', 'POST', '/attendance/check-in', owner.cookie, { studentId: kid }, owner.csrf);
  await call('POST /attendance/check-out', 'POST', '/attendance/check-out', owner.cookie, { studentId: kid }, owner.csrf);
  // Staff time: the roster counts staff clocked in (seeded shifts), a clock-in/out pair, and a 31-day timecard.
  const staffList = (await call('GET /staff', 'GET', '/staff?limit=50', owner.cookie)).json.items;
  const worker = staffList[staffList.length - 1];
  await call('POST /staff/{id}/clock-out', 'POST', `/staff/${worker.id}/clock-out`, owner.cookie, {}, owner.csrf).catch(() => undefined);
  await call('POST /staff/{id}/clock-in', 'POST', `/staff/${worker.id}/clock-in`, owner.cookie, { roomId: rooms[1].id }, owner.csrf);
  await call('GET /rooms/{id}/roster (with shifts)', 'GET', `/rooms/${rooms[1].id}/roster`, owner.cookie);
  await call('POST /staff/{id}/clock-out', 'POST', `/staff/${worker.id}/clock-out`, owner.cookie, {}, owner.csrf);
  const to = new Date(Date.now() - 86400_000).toISOString().slice(0, 10);
  const from = new Date(Date.now() - 31 * 86400_000).toISOString().slice(0, 10);
  await call('GET /timecards (31 days)', 'GET', `/timecards?from=${from}&to=${to}`, owner.cookie);
  await call('GET /timecards?staffId', 'GET', `/timecards?from=${from}&to=${to}&staffId=${worker.id}`, owner.cookie);
  const day = new Date(Date.now() - 3 * 86400_000).toISOString().slice(0, 10);
  await call('GET /attendance?date&roomId', 'GET', `/attendance?date=${day}&roomId=${rooms[1].id}&limit=50`, owner.cookie);
  await call('GET /attendance?studentId', 'GET', `/attendance?studentId=${students[3].id}&limit=50`, owner.cookie);
  await call('GET /students/{id}/care-entries?date', 'GET', `/students/${students[3].id}/care-entries?date=${day}`, owner.cookie);
  await call('GET /students/{id}/daily-report', 'GET', `/students/${students[3].id}/daily-report?date=${day}`, owner.cookie);
  await call('GET /incidents?status', 'GET', '/incidents?status=reviewed&limit=50', owner.cookie);
  await call('GET /absences?from&to', 'GET', `/absences?from=${day}&to=${day}&limit=50`, owner.cookie);
  await call('GET /me/context', 'GET', '/me/context', owner.cookie);
  await call('POST /messages', 'POST', '/messages', owner.cookie, { audience: { type: 'room', id: rooms[1].id }, body: 'Hello' }, owner.csrf);
  // A guardian of child 3 (parent3 of centre t): invited once, then signed in.
  const gEmail = `parent3.t${t}@bench.example`;
  route = 'setup';
  await app.request('/memberships', { method: 'POST', headers: { cookie: owner.cookie, 'x-csrf-token': owner.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ email: gEmail, roles: ['guardian'] }) });
  const guardian = await signIn(gEmail);
  await call('guardian GET /messages', 'GET', '/messages?limit=50', guardian.cookie);
  await call('guardian GET /students', 'GET', '/students?limit=50', guardian.cookie);
  await call('guardian GET /attendance', 'GET', `/attendance?studentId=${students[2]?.id ?? students[0].id}&limit=50`, guardian.cookie).catch(() => undefined);
  await call('session: refresh', 'GET', '/me/context', owner.cookie);

  // Billing (bench/seed-billing.ts): the invoice list, one invoice, the ledger and balance, statements (JSON and PDF),
  // payments, a guardian's view, and a month's run (the job, in-process: its per-account reads).
  const accounts = (await call('GET /billing/accounts', 'GET', '/billing/accounts?limit=50', owner.cookie)).json.items;
  const acc = accounts[2];
  await call('GET /billing/accounts/{id}', 'GET', `/billing/accounts/${acc.id}`, owner.cookie);
  const invoices = (await call('GET /billing/invoices', 'GET', '/billing/invoices?limit=50', owner.cookie)).json.items;
  const lastMonth = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
  await call('GET /billing/invoices?period', 'GET', `/billing/invoices?period=${lastMonth}&status=open&limit=50`, owner.cookie);
  await call('GET /billing/invoices?accountId', 'GET', `/billing/invoices?accountId=${acc.id}&limit=50`, owner.cookie);
  await call('GET /billing/invoices/{id}', 'GET', `/billing/invoices/${invoices[0].id}`, owner.cookie);
  await call('GET /billing/accounts/{id}/ledger', 'GET', `/billing/accounts/${acc.id}/ledger?limit=50`, owner.cookie);
  const yearAgo = new Date(Date.now() - 360 * 86400_000).toISOString().slice(0, 10);
  const today = new Date().toISOString().slice(0, 10);
  await call('GET statement', 'GET', `/billing/accounts/${acc.id}/statement?from=${yearAgo}&to=${today}`, owner.cookie);
  route = 'GET statement (PDF)';
  const pdfRes = await app.request(`/billing/accounts/${acc.id}/statement?from=${yearAgo}&to=${today}`, { headers: { cookie: owner.cookie, accept: 'application/pdf' } });
  if (pdfRes.status !== 200 || pdfRes.headers.get('content-type') !== 'application/pdf') throw new Error(`statement PDF: ${pdfRes.status}`);
  await pdfRes.arrayBuffer();
  await call('GET tax-statement', 'GET', `/billing/accounts/${acc.id}/tax-statement?year=${today.slice(0, 4)}`, owner.cookie);
  await call('GET /billing/payments?accountId', 'GET', `/billing/payments?accountId=${acc.id}&limit=50`, owner.cookie);
  await call('GET /billing/payments', 'GET', '/billing/payments?limit=50', owner.cookie);
  await call('guardian GET /billing/accounts', 'GET', '/billing/accounts', guardian.cookie);
  await call('guardian GET /billing/invoices', 'GET', '/billing/invoices?limit=50', guardian.cookie);
  // The run's batch, as the billing.run job calls it (POST /billing/runs refuses the bench's md5-derived ids: the job
  // payload schema wants RFC 4122 UUIDs, so the job itself cannot be enqueued on this data set).
  route = 'billing run (per-account reads)';
  const tenant = (await (await app.request('/tenant', { headers: { cookie: owner.cookie } })).json()) as { id: string };
  const me = (await (await app.request('/me/context', { headers: { cookie: owner.cookie } })).json()) as { activeMembershipId?: string; membership?: { id: string } };
  await container.billing.invoices.runBatch({ tenantId: tenant.id, membershipId: me.activeMembershipId ?? me.membership?.id ?? null, jobId: crypto.randomUUID() }, today.slice(0, 7), undefined, 200);

  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  const tenantId = (await client.query(`select id from tenants where name = $1`, [`Bench Centre ${t}`])).rows[0].id;
  const seen = new Set<string>();
  const failures: string[] = [];
  let checked = 0;
  for (const c of captured) {
    if (c.route === 'setup' || c.route === 'x' || /^\s*select pg_advisory/i.test(c.query) || /^\s*(begin|commit|rollback|select set_config)/i.test(c.query)) continue;
    if (/^\s*(insert|update|delete)/i.test(c.query) && !/ where /i.test(c.query)) continue;
    const key = c.query;
    if (seen.has(key)) continue;
    seen.add(key);
    await client.query('begin');
    try {
      await client.query(`select set_config('app.tenant_id', $1, true), set_config('role', 'daycare_app', true)`, [tenantId]);
      const plan = (await client.query(`explain (format json) ${c.query}`, c.params as unknown[])).rows[0]['QUERY PLAN'][0].Plan;
      checked++;
      const problems: string[] = [];
      const walk = (n: any, under: string[]) => {
        if (n['Node Type'] === 'Seq Scan' && TENANT_TABLES.has(n['Relation Name'])) problems.push(`sequential scan of ${n['Relation Name']}`);
        if (n['Node Type'] === 'Sort' || n['Node Type'] === 'Incremental Sort') {
          const rels = new Set<string>();
          const collect = (m: any) => {
            if (m['Relation Name']) rels.add(m['Relation Name']);
            for (const k of m.Plans ?? []) collect(k);
          };
          collect(n);
          if ([...rels].some((r) => TENANT_TABLES.has(r)) && (n['Plan Rows'] ?? 0) > SORT_ROWS_ALLOWED) problems.push(`sort without an index over ${[...rels].join(', ')} (~${n['Plan Rows']} rows)`);
        }
        for (const k of n.Plans ?? []) walk(k, [...under, n['Node Type']]);
      };
      walk(plan, []);
      const short = c.query.replace(/\s+/g, ' ').slice(0, 110);
      console.log(`${problems.length ? 'FAIL' : 'ok  '} ${c.route.padEnd(28)} ${short}`);
      for (const p of problems) {
        console.log(`       ↳ ${p}`);
        failures.push(`${c.route}: ${p}: ${short}`);
      }
    } finally {
      await client.query('rollback');
    }
  }
  await client.end();
  await container.close();
  console.log(`\n${checked} distinct statements explained; ${failures.length} with a sequential scan or an unindexed sort`);
  if (failures.length) process.exit(1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
