import type { OpenAPIHono, z } from '@hono/zod-openapi';
import { parseIfMatch } from '../../api/etag.js';
import type { AppEnv } from '../../api/env.js';
import { kioskOf } from '../../api/middleware/kiosk.js';
import { tenantCtx } from '../../api/middleware/session.js';
import { KioskAttendanceBody, KioskCreate, KioskFamily, kioskRecordsSchema, KioskWithToken, Kiosk, PinAnswer, PinBody } from './kiosks.schemas.js';
import type { AttendanceDto } from '../attendance/index.js';
import { defineKioskRoute, defineRoute, IdParam, jsonBody, jsonResponse, ListQuery, page } from '../../api/routes/registry.js';
import { NO_OWN_READ, guardianVisible } from '../../api/routes/visibility.js';

/** The front door (CONTRACT §5 "Kiosk"): guardian PINs and kiosks (owners, admins), and the routes a kiosk calls. */
/** The kiosk's routes, given attendance's AttendanceRecord that its check-in/out answers embed (the manifest binds it). */
export const kioskRoutes = (attendance: { AttendanceRecord: z.ZodType<AttendanceDto> }) => {
  const KioskRecords = kioskRecordsSchema(attendance.AttendanceRecord);
  return (app: OpenAPIHono<AppEnv>) => registerKioskRoutes(app, KioskRecords);
};

function registerKioskRoutes(app: OpenAPIHono<AppEnv>, KioskRecords: ReturnType<typeof kioskRecordsSchema>) {
  app.openapi(
    defineRoute({
      method: 'put',
      path: '/guardians/{id}/pin',
      permission: 'guardians:pin',
      visible: guardianVisible,
      summary: 'Give the adult a new random 6-digit kiosk PIN (shown this once; the previous one stops working)',
      request: { params: IdParam },
      responses: { 200: jsonResponse(PinAnswer, 'The new PIN') },
    }),
    async (c) => {
      c.set('sealResponse', true);
      return c.json(await c.get('container').kiosks.setPin(tenantCtx(c), c.req.valid('param').id, parseIfMatch(c.req.header('if-match'))), 200);
    },
  );

  app.openapi(
    defineRoute({ method: 'post', path: '/kiosks', permission: 'kiosks:manage', summary: 'Register a kiosk; its token is shown this once', request: jsonBody(KioskCreate), responses: { 201: jsonResponse(KioskWithToken, 'Created') } }),
    async (c) => {
      c.set('sealResponse', true);
      return c.json(await c.get('container').kiosks.create(tenantCtx(c), c.req.valid('json')), 201);
    },
  );

  app.openapi(
    defineRoute({ method: 'get', path: '/kiosks', permission: 'kiosks:manage', summary: 'Kiosks not revoked', request: { query: ListQuery }, responses: { 200: jsonResponse(page(Kiosk), 'Kiosks') } }),
    async (c) => c.json(await c.get('container').kiosks.list(tenantCtx(c), c.req.valid('query')), 200),
  );

  app.openapi(
    defineRoute({ method: 'delete', path: '/kiosks/{id}', permission: 'kiosks:manage', visible: NO_OWN_READ, summary: 'Revoke a kiosk: its token stops working at once', request: { params: IdParam }, responses: { 204: { description: 'Revoked' } } }),
    async (c) => {
      await c.get('container').kiosks.revoke(tenantCtx(c), c.req.valid('param').id, parseIfMatch(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );

  app.openapi(
    defineKioskRoute({
      method: 'post',
      path: '/kiosk/lookup',
      summary: 'The adult a PIN names and the children they may drop off or pick up',
      request: jsonBody(PinBody),
      responses: { 200: jsonResponse(KioskFamily, 'The adult and their children') },
    }),
    async (c) => c.json(await c.get('container').kiosks.lookup(kioskOf(c), c.req.valid('json').pin), 200),
  );

  app.openapi(
    defineKioskRoute({
      method: 'post',
      path: '/kiosk/check-in',
      summary: 'Check children in, dropped off by the PIN’s adult (all or none)',
      request: jsonBody(KioskAttendanceBody),
      responses: { 201: jsonResponse(KioskRecords, 'Checked in (method kiosk)') },
    }),
    async (c) => c.json(await c.get('container').kiosks.checkIn(kioskOf(c), c.req.valid('json')), 201),
  );

  app.openapi(
    defineKioskRoute({
      method: 'post',
      path: '/kiosk/check-out',
      summary: 'Check children out, picked up by the PIN’s adult (all or none; each must be theirs to pick up)',
      request: jsonBody(KioskAttendanceBody),
      responses: { 200: jsonResponse(KioskRecords, 'Checked out') },
    }),
    async (c) => c.json(await c.get('container').kiosks.checkOut(kioskOf(c), c.req.valid('json')), 200),
  );
}
