import { OpenAPIHono } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { routeTable } from '../../src/api/app.js';
import { defineRoute, IdParam, needsVisibility } from '../../src/api/routes/registry.js';

/**
 * Visibility before permission (CONTRACT §4), explicitly: every unsafe session route whose path names a resource names
 * the check that decides 404 or 403 for a caller lacking its permission — the owning module's read, or `{ none: why }`.
 */
describe('route visibility checks', () => {
  const table = routeTable();

  it('every unsafe route with a path id names its visibility check (or none, with a reason)', () => {
    const owed = table.filter((r) => needsVisibility(r.method, r.path, r.permission));
    expect(owed.length).toBeGreaterThan(40);
    expect(owed.filter((r) => !r.visible).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('the resources a member may read but not change are checked, not waved through', () => {
    const checked = table.filter((r) => r.visible === 'check').map((r) => `${r.method} ${r.path}`);
    for (const k of ['PATCH /students/{id}', 'DELETE /rooms/{id}', 'PUT /students/{id}/guardians/{guardianId}', 'POST /incidents/{id}/acknowledge', 'POST /billing/accounts/{id}/checkout'])
      expect(checked).toContain(k);
  });

  it('defineRoute refuses such a route without one, and a `none` without a reason', () => {
    const app = new OpenAPIHono();
    const route = { method: 'patch', path: '/things/{id}', permission: 'centre:write', request: { params: IdParam }, responses: { 204: { description: 'x' } } } as const;
    expect(() => app.openapi(defineRoute(route), (c) => c.body(null, 204))).toThrow(/visibility check/);
    expect(() => defineRoute({ ...route, visible: { none: ' ' } })).toThrow(/reason/);
    expect(() => defineRoute({ ...route, visible: { none: 'no read route of its own' } })).not.toThrow();
    // A read, or a change the path names nothing for, owes none.
    expect(() => defineRoute({ ...route, method: 'get' })).not.toThrow();
    expect(() => defineRoute({ ...route, path: '/things' })).not.toThrow();
  });
});
