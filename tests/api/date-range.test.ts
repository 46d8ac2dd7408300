/**
 * Every date and instant the API accepts is a year of 1900–2200 (README, "Dates"), checked at the edge by the shared
 * schema pieces (`CalendarDate`, `Instant` in src/api/routes/registry.ts). The sweep is generated from the OpenAPI
 * document, like the fuzz test from the route table: every query parameter and every top-level body field whose format is
 * `date` or `date-time`, with far-future and far-past values → 400 VALIDATION_ERROR naming that field, never a 500.
 */
import { describe, expect, it } from 'vitest';
import { addMember, newTenant } from '../helpers/server.js';
import { useServer } from '../factories/index.js';

const srv = useServer();

const FAR_DATES = ['9999-12-31', '2201-01-01', '1899-12-31', '0001-01-01'];
const FAR_INSTANTS = ['9999-12-31T00:00:00Z', '2201-01-01T00:00:00Z', '1899-12-31T23:59:59Z', '0001-01-01T00:00:00Z', '2200-12-31T23:00:00-05:00'];
const EDGE_DATES = ['1900-01-01', '2200-12-31'];

type Schema = { $ref?: string; format?: string; enum?: unknown[]; const?: unknown; properties?: Record<string, Schema>; anyOf?: Schema[]; allOf?: Schema[]; oneOf?: Schema[] };
interface Target {
  method: string;
  path: string;
  where: 'query' | 'body';
  field: string;
  format: 'date' | 'date-time';
  /** The single-valued fields of the body's alternative (a discriminated union's `type`), so validation reaches the field. */
  base: Record<string, unknown>;
}

function targets(doc: { paths: Record<string, Record<string, { parameters?: { in: string; name: string; schema?: Schema }[]; requestBody?: { content?: Record<string, { schema?: Schema }> } }>>; components?: { schemas?: Record<string, Schema> } }) {
  const resolve = (s: Schema | undefined): Schema | undefined => (s?.$ref ? resolve(doc.components?.schemas?.[s.$ref.split('/').pop()!]) : s);
  const formatOf = (s: Schema | undefined): string | undefined => {
    const r = resolve(s);
    if (!r) return undefined;
    if (r.format) return r.format;
    for (const alt of [...(r.anyOf ?? []), ...(r.oneOf ?? []), ...(r.allOf ?? [])]) {
      const f = formatOf(alt);
      if (f) return f;
    }
    return undefined;
  };
  const out: Target[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const p of op.parameters ?? []) {
        const f = formatOf(p.schema);
        if (p.in === 'query' && (f === 'date' || f === 'date-time')) out.push({ method: method.toUpperCase(), path, where: 'query', field: p.name, format: f, base: {} });
      }
      const body = resolve(op.requestBody?.content?.['application/json']?.schema);
      const objects = [body, ...(body?.anyOf ?? []), ...(body?.oneOf ?? []), ...(body?.allOf ?? [])].map(resolve);
      for (const o of objects) {
        for (const [name, prop] of Object.entries(o?.properties ?? {})) {
          const f = formatOf(prop);
          if ((f === 'date' || f === 'date-time') && !out.some((t) => t.method === method.toUpperCase() && t.path === path && t.field === name)) {
            const base: Record<string, unknown> = {};
            for (const [k, v] of Object.entries(o?.properties ?? {})) {
              const r = resolve(v);
              if (r?.const !== undefined) base[k] = r.const;
              else if (r?.enum?.length === 1) base[k] = r.enum[0];
            }
            out.push({ method: method.toUpperCase(), path, where: 'body', field: name, format: f, base });
          }
        }
      }
    }
  }
  return out;
}

describe('dates and instants are years 1900–2200 at the edge', () => {
  it('a sweep over every route that takes a date or an instant (query and body), from the OpenAPI document', async () => {
    const { owner } = await newTenant(srv);
    // The public form route takes its own credential (a form's Bearer token) before it reads the body.
    const formAuth = { authorization: `Bearer ${(await owner.post('/application-forms', { name: 'Website' })).body.token}` };
    const doc = (await srv.agent().get('/openapi.json')).body;
    const found = targets(doc);
    // The sweep must see the routes the issue names and the instant fields of bodies, or it proves nothing.
    const names = found.map((t) => `${t.method} ${t.path} ${t.where}.${t.field}`);
    for (const expected of ['GET /timecards query.to', 'GET /incidents query.to', 'POST /attendance/check-in body.at', 'POST /staff/{id}/clock-in body.at', 'POST /incidents body.occurredAt', 'POST /reports body.from', 'POST /students body.dateOfBirth', 'POST /absences body.date']) {
      expect(names).toContain(expected);
    }
    const failures: string[] = [];
    for (const t of found) {
      const path = t.path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
      for (const value of t.format === 'date' ? FAR_DATES : FAR_INSTANTS) {
        const res =
          t.where === 'query'
            ? await owner.request(t.method, `${path}?${t.field}=${encodeURIComponent(value)}`)
            : path === '/public/applications'
              ? await srv.agent().request(t.method, path, { body: { ...t.base, [t.field]: value }, headers: formAuth })
              : await owner.request(t.method, path, { body: { ...t.base, [t.field]: value } });
        const named = (res.body?.error?.details ?? []).some((d: { path: string }) => d.path === t.field);
        if (res.status !== 400 || res.body?.error?.code !== 'VALIDATION_ERROR' || !named) failures.push(`${t.method} ${path} ${t.where}.${t.field}=${value} → ${res.status} ${res.text.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('the dates at the ends of the range work on every query that takes them (no 500)', async () => {
    const { owner } = await newTenant(srv);
    const doc = (await srv.agent().get('/openapi.json')).body;
    const failures: string[] = [];
    for (const t of targets(doc).filter((x) => x.where === 'query' && x.method === 'GET')) {
      const path = t.path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
      for (const value of EDGE_DATES) {
        const v = t.format === 'date' ? value : `${value}T00:00:00Z`;
        const res = await owner.get(`${path}?${t.field}=${v}`);
        if (res.status >= 500) failures.push(`GET ${path}?${t.field}=${v} → ${res.status} ${res.text.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('the issue’s cases: a teacher’s far-future timecards and a guardian’s far-future incidents are 400, not 500', async () => {
    const { owner } = await newTenant(srv);
    const teacher = (await addMember(srv, owner, ['teacher'])).agent;
    const guardian = (await addMember(srv, owner, ['guardian'])).agent;
    const tc = await teacher.get('/timecards?from=9999-12-20&to=9999-12-31');
    expect(tc.status, tc.text).toBe(400);
    expect(tc.body.error).toMatchObject({ code: 'VALIDATION_ERROR', requestId: expect.any(String) });
    const inc = await guardian.get('/incidents?to=9999-12-31');
    expect(inc.status, inc.text).toBe(400);
    expect(inc.body.error.code).toBe('VALIDATION_ERROR');
    expect((await guardian.get('/incidents?to=2200-12-31')).status).toBe(200);
    expect((await teacher.get('/timecards?from=2200-12-01&to=2200-12-31')).status).toBeLessThan(500);
  });
});
