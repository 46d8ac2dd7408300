/**
 * `npm run bench:seed -- --tenants 1000 [--db daycare_bench]`: fills a PostgreSQL database with N centres ×
 * (4 rooms, 100 children, 150 guardians, 12 staff) and 60 days of attendance, generated inside the server with
 * generate_series (no round trip per row). Ids are md5-derived and times come from setseed(): the same data every run.
 */
import pg from 'pg';
import { openDatabase } from '../src/db/db.js';
import { seedBilling } from './seed-billing.js';

const args = Object.fromEntries(process.argv.slice(2).join(' ').split('--').filter(Boolean).map((a) => a.trim().split(/[ =]/) as [string, string]));
const tenants = Number(args.tenants ?? 1000);
const dbName = args.db ?? `daycare_bench_${tenants}`;
const adminUrl = process.env.BENCH_ADMIN_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const url = new URL(adminUrl);
url.pathname = `/${dbName}`;
const dbUrl = url.toString();
const DAYS = 60;
const CHUNK = 50;

async function main() {
  const t0 = performance.now();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.query(`create database ${dbName}`);
  await admin.end();
  const db = await openDatabase({ databaseUrl: dbUrl, poolMax: 1 });
  await db.migrate();
  await db.close();

  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  // The generator runs as the connecting superuser; foreign-key triggers are skipped (the data is consistent by
  // construction) to keep 6 M rows to a few minutes.
  await c.query(`set session_replication_role = replica`);
  await c.query(`select setseed(0.42)`);
  const id = (kind: string, ...parts: string[]) => `md5('${kind}' || ${parts.join(" || '-' || ")})::uuid`;
  for (let from = 1; from <= tenants; from += CHUNK) {
    const to = Math.min(tenants, from + CHUNK - 1);
    const T = `generate_series(${from}, ${to}) t`;
    await c.query('begin');
    await c.query(`insert into tenants (id, name, timezone) select ${id('t', 't')}, 'Bench Centre ' || t,
      (array['America/Los_Angeles','America/New_York','Europe/London','Australia/Sydney','Pacific/Auckland'])[1 + t % 5] from ${T}`);
    await c.query(`insert into memberships (id, tenant_id, email, roles, entitlements, status) select ${id('m', 't')}, ${id('t', 't')},
      'owner' || t || '@bench.example', '{owner}', '{messaging,reports,imports}', 'invited' from ${T}`);
    await c.query(`insert into rooms (id, tenant_id, name, capacity, age_group) select ${id('r', 't', 'r')}, ${id('t', 't')}, 'Room ' || r, 40,
      (array['infant','toddler','preschool','school_age'])[r] from ${T}, generate_series(1, 4) r`);
    await c.query(`insert into students (id, tenant_id, first_name, last_name, date_of_birth, room_id, external_id)
      select ${id('s', 't', 'n')}, ${id('t', 't')}, 'Child' || n, 'Family' || (n % 37), date '2020-01-01' + (n * 7 % 1400),
      ${id('r', 't', '(1 + n % 4)')}, 'EXT-' || n from ${T}, generate_series(1, 100) n`);
    await c.query(`insert into guardians (id, tenant_id, first_name, last_name, email, phone)
      select ${id('g', 't', 'n')}, ${id('t', 't')}, 'Parent' || n, 'Family' || (n % 37), 'parent' || n || '.t' || t || '@bench.example', '+1555' || lpad(n::text, 6, '0')
      from ${T}, generate_series(1, 150) n`);
    await c.query(`insert into student_guardians (tenant_id, student_id, guardian_id, relationship, authorized_pickup)
      select ${id('t', 't')}, ${id('s', 't', 'n')}, ${id('g', 't', 'n')}, 'parent', true from ${T}, generate_series(1, 100) n
      union all
      select ${id('t', 't')}, ${id('s', 't', 'n')}, ${id('g', 't', '(101 + n % 50)')}, 'grandparent', n % 3 = 0 from ${T}, generate_series(1, 100, 2) n`);
    await c.query(`insert into staff (id, tenant_id, first_name, last_name, email) select ${id('st', 't', 'n')}, ${id('t', 't')}, 'Staff' || n, 'Member', 'staff' || n || '.t' || t || '@bench.example'
      from ${T}, generate_series(1, 12) n`);
    await c.query(`insert into staff_rooms (tenant_id, staff_id, room_id) select ${id('t', 't')}, ${id('st', 't', 'n')}, ${id('r', 't', '(1 + n % 4)')} from ${T}, generate_series(1, 12) n`);
    await c.query(`insert into attendance (id, tenant_id, student_id, room_id, date, check_in_at, check_out_at, dropped_off_by_guardian_id, picked_up_by_guardian_id)
      select gen_random_uuid(), ${id('t', 't')}, ${id('s', 't', 'n')}, ${id('r', 't', '(1 + n % 4)')}, d::date,
        d + interval '7 hours' + (random() * interval '2 hours'), d + interval '15 hours' + (random() * interval '3 hours'),
        ${id('g', 't', 'n')}, ${id('g', 't', 'n')}
      from ${T}, generate_series(1, 100) n, generate_series(current_date - ${DAYS}, current_date - 1, interval '1 day') d`);
    // Shifts: every staff member 07:00–16:00 in their room each past day, and the first 8 clocked in now (the roster
    // counts staff clocked in; timecards sum ended shifts).
    await c.query(`insert into shifts (id, tenant_id, staff_id, room_id, date, clock_in_at, clock_out_at)
      select gen_random_uuid(), ${id('t', 't')}, ${id('st', 't', 'n')}, ${id('r', 't', '(1 + n % 4)')}, d::date, d + interval '7 hours', d + interval '16 hours'
      from ${T}, generate_series(1, 12) n, generate_series(current_date - ${DAYS}, current_date - 1, interval '1 day') d`);
    await c.query(`insert into shifts (id, tenant_id, staff_id, room_id, date, clock_in_at)
      select gen_random_uuid(), ${id('t', 't')}, ${id('st', 't', 'n')}, ${id('r', 't', '(1 + n % 4)')}, current_date, now() - interval '1 hour'
      from ${T}, generate_series(1, 8) n`);
    // A week of care entries per child (meal, nap, mood each weekday; bottles and nappies for the infant room), a
    // few absences, and incidents in every state.
    await c.query(`insert into care_entries (id, tenant_id, student_id, type, at, end_at, date, details, visible_to_guardians, recorded_by_membership_id)
      select gen_random_uuid(), ${id('t', 't')}, ${id('s', 't', 'n')}, e.type, d + e.at, case when e.type = 'nap' then d + e.at + interval '80 minutes' end, d::date,
        e.details::jsonb, e.k <> 5, ${id('m', 't')}
      from ${T}, generate_series(1, 100) n, generate_series(current_date - 7, current_date - 1, interval '1 day') d,
        (values (1, 'meal', interval '12 hours', '{"meal":"lunch","amount":"most"}'), (2, 'nap', interval '13 hours', '{}'), (3, 'mood', interval '10 hours', '{"mood":"happy"}'),
                (4, 'bottle', interval '10 hours 30 minutes', '{"ml":120}'), (5, 'diaper', interval '11 hours', '{"kind":"wet"}')) e(k, type, at, details)
      where e.k <= 3 or n % 4 = 0`);
    await c.query(`insert into absences (id, tenant_id, student_id, date, reason, reported_by_membership_id)
      select gen_random_uuid(), ${id('t', 't')}, ${id('s', 't', 'n')}, current_date + (n % 3), 'sick', ${id('m', 't')} from ${T}, generate_series(1, 100, 9) n`);
    await c.query(`insert into incidents (id, tenant_id, student_id, room_id, occurred_at, type, description, action_taken, status, reported_by_membership_id, reviewed_at, acknowledged_at, acknowledged_by_guardian_id)
      select gen_random_uuid(), ${id('t', 't')}, ${id('s', 't', 'n')}, ${id('r', 't', '(1 + n % 4)')}, now() - (n || ' days')::interval, 'injury', 'Grazed knee', 'Plaster',
        (array['open','reviewed','acknowledged'])[1 + n % 3], ${id('m', 't')},
        case when n % 3 > 0 then now() - (n || ' days')::interval end, case when n % 3 = 2 then now() - (n || ' days')::interval end,
        case when n % 3 = 2 then ${id('g', 't', 'n')} end
      from ${T}, generate_series(1, 100, 4) n`);
    // Messages: 200 per centre across the three audiences, each read by the owner membership.
    await c.query(`insert into messages (id, tenant_id, author_membership_id, audience_type, audience_id, body, created_at)
      select ${id('msg', 't', 'n')}, ${id('t', 't')}, ${id('m', 't')},
        (array['tenant','room','student'])[1 + n % 3],
        case n % 3 when 0 then null when 1 then ${id('r', 't', '(1 + n % 4)')} else ${id('s', 't', '(1 + n % 100)')} end,
        'Message ' || n, now() - (n || ' minutes')::interval
      from ${T}, generate_series(1, 200) n`);
    await c.query(`insert into message_reads (tenant_id, message_id, membership_id) select ${id('t', 't')}, ${id('msg', 't', 'n')}, ${id('m', 't')}
      from ${T}, generate_series(1, 200, 2) n`);
    // Sign-ins: each centre's owner with 20 sessions (a realistic sessions table, so the planner's choices for the
    // session statements — refresh, switch, the revocation cut-off — are the ones production sees).
    await c.query(`insert into users (id, supabase_id, email) select ${id('u', 't')}, 'bench-' || t, 'owner.t' || t || '@bench.example' from ${T}`);
    await c.query(`insert into sessions (id, user_id, membership_id, active_tenant_id, idle_expires_at, absolute_expires_at)
      select gen_random_uuid(), ${id('u', 't')}, ${id('m', 't')}, ${id('t', 't')}, now() + interval '7 days', now() + interval '30 days'
      from ${T}, generate_series(1, 20) n`);
    await c.query('commit');
    process.stdout.write(`\r${to}/${tenants} centres (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  await seedBilling(c, tenants, (s) => process.stdout.write(s));
  await c.query(`set session_replication_role = origin`);
  await c.query('analyze');
  const { rows } = await c.query(`select (select count(*) from tenants) tenants, (select count(*) from students) students, (select count(*) from attendance) attendance`);
  await c.end();
  console.log(`\nseeded ${dbName}: ${JSON.stringify(rows[0])} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`DATABASE_URL=${dbUrl}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
