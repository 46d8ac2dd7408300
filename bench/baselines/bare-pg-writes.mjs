// The write floor: node:http + pg doing the same two transactions as POST /attendance/check-in and /check-out (the same
// statements, in the same order, inside the same RLS transaction), with no framework, no session, no validation, no
// idempotency and no DTOs. `npm run bench` compares the API's check-in + check-out pairs with this.
// BENCH_STUDENTS = JSON [[tenantId, studentId], ...]: the children the load generator checks in and out.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 10) });
const tenantOf = new Map(JSON.parse(process.env.BENCH_STUDENTS ?? '[]').map(([t, s]) => [s, t]));

async function inTenant(tenant, work) {
  const client = await pool.connect();
  try {
    await client.query(`begin; select set_config('app.tenant_id', ${client.escapeLiteral(tenant)}, true), set_config('role', 'daycare_app', true)`);
    const out = await work(client);
    await client.query('commit');
    return out;
  } catch (e) {
    await client.query('rollback').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

const audit = (c, t, action, id, before, after) =>
  c.query(`insert into audit_logs (tenant_id, action, target_type, target_id, before, after, created_at) values ($1, $2, 'attendance', $3, $4, $5, now())`, [t, action, id, before, after]);

async function checkIn(t, studentId) {
  return inTenant(t, async (c) => {
    const s = (await c.query('select * from students where tenant_id = $1 and id = $2', [t, studentId])).rows[0];
    if (!s) return [404, { error: 'not found' }];
    const room = s.room_id ? (await c.query('select id, capacity, archived_at from rooms where tenant_id = $1 and id = $2 for update', [t, s.room_id])).rows[0] : null;
    if ((await c.query('select * from attendance where tenant_id = $1 and student_id = $2 and check_out_at is null', [t, s.id])).rows[0]) return [409, { error: 'already in' }];
    if (room && Number((await c.query('select count(*) n from attendance where tenant_id = $1 and room_id = $2 and check_out_at is null', [t, room.id])).rows[0].n) >= room.capacity) return [409, { error: 'full' }];
    await c.query('select max(check_out_at) at from attendance where tenant_id = $1 and student_id = $2', [t, s.id]);
    const tz = (await c.query('select timezone from tenants where id = $1', [t])).rows[0]?.timezone ?? 'UTC';
    const date = new Intl.DateTimeFormat('en-CA', { timeZone: tz }).format(new Date());
    const row = (
      await c.query(
        `insert into attendance (id, tenant_id, student_id, room_id, date, check_in_at, method, created_at, updated_at) values ($1, $2, $3, $4, $5, now(), 'staff', now(), now()) returning *`,
        [randomUUID(), t, s.id, room?.id ?? null, date],
      )
    ).rows[0];
    await audit(c, t, 'attendance.checked_in', row.id, null, JSON.stringify(row));
    await c.query('delete from absences where tenant_id = $1 and student_id = $2 and date = $3 returning *', [t, s.id, date]);
    return [201, row];
  });
}

async function checkOut(t, studentId) {
  return inTenant(t, async (c) => {
    const s = (await c.query('select * from students where tenant_id = $1 and id = $2', [t, studentId])).rows[0];
    if (!s) return [404, { error: 'not found' }];
    const open = (await c.query('select * from attendance where tenant_id = $1 and student_id = $2 and check_out_at is null for update', [t, s.id])).rows[0];
    if (!open) return [409, { error: 'not checked in' }];
    const row = (await c.query('update attendance set check_out_at = now(), updated_at = now(), version = version + 1 where tenant_id = $1 and id = $2 and check_out_at is null returning *', [t, open.id])).rows[0];
    await audit(c, t, 'attendance.checked_out', row.id, JSON.stringify(open), JSON.stringify(row));
    return [200, row];
  });
}

http
  .createServer((req, res) => {
    if (req.method === 'GET') return void res.end('ok');
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      try {
        const { studentId } = JSON.parse(body || '{}');
        const t = tenantOf.get(studentId);
        const [status, out] = !t ? [404, { error: 'unknown child' }] : req.url === '/attendance/check-in' ? await checkIn(t, studentId) : await checkOut(t, studentId);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out));
      } catch (e) {
        res.writeHead(500).end(String(e));
      }
    });
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
