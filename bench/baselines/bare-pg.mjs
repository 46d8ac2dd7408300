// The floor: node:http + pg running the same SQL as GET /students?limit=50, no framework, no auth, no RLS.
import http from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 10) });
const tenants = JSON.parse(process.env.BENCH_TENANTS ?? '[]');
let i = 0;
const SQL = `select id, first_name, last_name, date_of_birth, room_id, allergies, notes, external_id, status, archived_at, created_at, updated_at, version
  from students where tenant_id = $1 and archived_at is null order by id limit 51`;
http
  .createServer(async (_req, res) => {
    try {
      const tenant = tenants[i++ % tenants.length];
      const { rows } = await pool.query(SQL, [tenant]);
      const body = JSON.stringify({ items: rows.slice(0, 50), nextCursor: rows.length > 50 ? rows[49].id : null });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
