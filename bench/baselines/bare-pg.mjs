// The floor: node:http + pg running the same SQL as GET /students?limit=50, no framework, no auth, no RLS.
// With BENCH_RLS=1, the same inside the app's RLS transaction pattern (what row-level security costs by itself).
import http from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 10) });
const tenants = JSON.parse(process.env.BENCH_TENANTS ?? '[]');
let i = 0;
// The list statement (bench/run.ts passes the same one to the peers): $1 = tenant, $2 = page size + 1.
const SQL = process.env.BENCH_SQL;
const LIMIT = 51;
http
  .createServer(async (_req, res) => {
    try {
      const tenant = tenants[i++ % tenants.length];
      let rows;
      if (process.env.BENCH_RLS === 'single') {
        // One round trip: the settings and the query in one simple-protocol string (an implicit transaction).
        const lit = pool.Client.prototype.escapeLiteral(tenant);
        const res = await pool.query(`select set_config('app.tenant_id', ${lit}, true), set_config('role', 'daycare_app', true); ${SQL.replace('$1', lit).replace('$2', String(LIMIT))}`);
        rows = res[1].rows;
      } else if (process.env.BENCH_RLS) {
        // The same SQL inside the app's tenant transaction pattern: BEGIN + RLS settings, the query, COMMIT.
        const client = await pool.connect();
        try {
          await client.query(`begin; select set_config('app.tenant_id', ${client.escapeLiteral(tenant)}, true), set_config('role', 'daycare_app', true)`);
          ({ rows } = await client.query(SQL, [tenant, LIMIT]));
          await client.query('commit');
        } finally {
          client.release();
        }
      } else {
        ({ rows } = await pool.query(SQL, [tenant, LIMIT]));
      }
      const body = JSON.stringify({ items: rows.slice(0, 50), nextCursor: rows.length > 50 ? rows[49].id : null });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
