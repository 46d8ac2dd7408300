import { z } from '@hono/zod-openapi';
import { nameStr, str } from '../../core/strings.js';
import type { AttendanceDto } from '../attendance/index.js';
import { Timestamps } from '../../api/routes/registry.js';

/** Request and response schemas of the kiosk: PINs, kiosk management and the /kiosk/* routes a tablet calls. */
export const PinAnswer = z
  .object({ pin: str().regex(/^\d{6}$/).openapi({ example: '048213', description: 'Shown this once; only a keyed hash is stored' }) })
  .openapi('GuardianPin');

export const KioskCreate = z.object({ name: nameStr(100).openapi({ example: 'Front door' }) }).strict().openapi('KioskCreate');
export const Kiosk = z.object({ ...Timestamps, name: str(), createdByMembershipId: str().nullable() }).openapi('Kiosk');
export const KioskWithToken = Kiosk.extend({
  token: str().openapi({ description: 'The kiosk’s Bearer token for /kiosk/*: shown this once, only its hash is stored' }),
}).openapi('KioskWithToken');

const pin = str().regex(/^\d{6}$/, 'must be 6 digits').openapi({ example: '048213' });
export const PinBody = z.object({ pin }).strict().openapi('KioskLookup');
export const KioskAttendanceBody = z
  .object({ pin, studentIds: z.array(str().max(100)).min(1).max(20) })
  .strict()
  .openapi('KioskAttendanceInput');

export const KioskFamily = z
  .object({
    guardian: z.object({ id: str(), firstName: str() }),
    children: z.array(
      z.object({
        id: str(),
        firstName: str(),
        lastName: str(),
        checkedIn: z.boolean(),
        canPickUp: z.boolean().openapi({ description: 'This adult is an authorized pickup for the child' }),
      }),
    ),
  })
  .openapi('KioskFamily');

/** The stays a check-in/out made, in attendance's AttendanceRecord (handed in by the manifest: attendance's module.ts). */
export const kioskRecordsSchema = (AttendanceRecord: z.ZodType<AttendanceDto>) => z.object({ items: z.array(AttendanceRecord) }).openapi('KioskAttendanceRecords');
