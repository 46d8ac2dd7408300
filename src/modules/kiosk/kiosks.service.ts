import type { Actor, KioskContext, RequestMeta, TenantContext } from '../../core/context.js';
import { AppError, conflict, notFound, rateLimitedFor, unauthenticated } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { isPin, newKioskToken, parseKioskToken, secretMatches, type PinHasher } from '../../core/security/kiosk-credentials.js';
import { auditActor, auditRepository } from '../../db/audit.repository.js';
import { forTenant, pgConstraint, type Tx } from '../../db/db.js';
import type { GuardianPins } from '../people/index.js';
import { kiosksRepository, type KioskChild, type KioskRow } from './kiosks.repository.js';
import type { AttendanceDto, AttendanceService } from '../attendance/index.js';
import type { ServiceDeps } from '../../kernel/deps.js';
import { checkIfMatch, requireId } from '../../kernel/helpers.js';
import { decodeUuidCursor, toPage } from '../../core/pagination.js';
import { changeVersioned } from '../../kernel/versioned-change.js';
import { createRecorded } from '../../kernel/recorded-create.js';

export const kioskDto = (k: KioskRow) => ({
  id: k.id,
  name: k.name,
  createdByMembershipId: k.createdByMembershipId,
  createdAt: k.createdAt.toISOString(),
  updatedAt: k.updatedAt.toISOString(),
  version: k.version,
});

/** The PIN lockout (CONTRACT §5 "Kiosk"): this many wrong PINs within the window lock that kiosk for the window. */
export const PIN_MAX_FAILURES = 5;
export const PIN_WINDOW_SECONDS = 5 * 60;
const PIN_UNIQUE = 'guardians_tenant_pin_hash_key';

const invalidPin = () => new AppError('INVALID_PIN', 'That PIN is not valid here');

export interface KiosksDeps extends Pick<ServiceDeps, 'db' | 'clock'> {
  pins: PinHasher;
  /** People's (the container's wiring): the adult's row locked, and their PIN hash, in the kiosk's transaction. */
  guardians: GuardianPins;
  attendance: Pick<AttendanceService, 'checkInWith' | 'checkOutWith' | 'asCheckInConflict'>;
}

/**
 * Kiosks, the tablets at the door (CONTRACT §5 "Kiosk"): a device credential of their own, separate from members'
 * sessions (src/api/middleware/kiosk.ts authenticates it). An adult signs with their PIN; check-in and check-out go
 * through the attendance service, so a kiosk follows exactly the rules a member does.
 */
export function createKiosksService({ db, clock, pins, attendance, guardians }: KiosksDeps) {
  /** The kiosk acts with no user and no membership; its audit rows name the kiosk. */
  const actorOf = (k: KioskContext): Actor => ({ requestId: k.requestId, tenantId: k.tenantId, userId: null, membershipId: null, email: null, guardianOnly: false, ip: k.ip, userAgent: k.userAgent });
  const kioskAudit = (tx: Tx, k: KioskContext, action: string, after: Record<string, unknown>) =>
    auditRepository.append(tx, { ...auditActor(actorOf(k)), action, targetType: 'kiosk', targetId: k.kioskId, after: { kioskId: k.kioskId, kioskName: k.kioskName, ...after } });

  /**
   * A request at the door in one transaction (issue 28): the PIN, then `work` with the adult and their children. The
   * PIN, its attempt and the adult's children are one statement (`kiosksRepository.signIn`); 429 while the kiosk is
   * locked, right PIN or wrong. The attempt is reserved in the kiosk's row before the PIN is checked (issue 20, point
   * 7): the row's lock serialises a burst, so at most PIN_MAX_FAILURES PINs are ever checked per window, and the
   * lockout lives in the database, where a cache restart cannot lose it. A right PIN gives its attempt back but does
   * not reset the count: an adult who knows their own PIN could otherwise try others between. The audit log gets the
   * window's first wrong PIN and the lock (with the count), not a row per attempt (issue 21): at most two rows per
   * kiosk and window, whatever a burst sends. A wrong PIN's count and audit rows commit before its 401 or 429.
   */
  async function atDoor<T>(k: KioskContext, pin: string, work: (tx: Tx, guardian: { id: string; firstName: string; children: KioskChild[] }) => Promise<T>): Promise<T> {
    const now = clock.now();
    const outcome = await db.scoped(forTenant(k), async (tx): Promise<{ done: T } | { retryAt: Date | null } | { wrong: true }> => {
      const signed = await kiosksRepository.signIn(tx, k.tenantId, k.kioskId, isPin(pin) ? pins.hash(pin) : null, now, PIN_MAX_FAILURES, PIN_WINDOW_SECONDS);
      if (signed.refused) return { retryAt: await kiosksRepository.pinRetryAt(tx, k.tenantId, k.kioskId) };
      if (signed.guardian) return { done: await work(tx, signed.guardian) };
      const n = signed.n;
      if (n >= PIN_MAX_FAILURES) {
        await kiosksRepository.lockPins(tx, k.tenantId, k.kioskId, new Date(now.getTime() + PIN_WINDOW_SECONDS * 1000));
        await kioskAudit(tx, k, 'kiosk.locked', { failures: n, windowSeconds: PIN_WINDOW_SECONDS });
      } else if (n === 1) {
        await kioskAudit(tx, k, 'kiosk.pin_rejected', { failures: n, windowSeconds: PIN_WINDOW_SECONDS });
      }
      return { wrong: true };
    });
    if ('done' in outcome) return outcome.done;
    if ('retryAt' in outcome) {
      const waitSeconds = outcome.retryAt ? (outcome.retryAt.getTime() - now.getTime()) / 1000 : PIN_WINDOW_SECONDS;
      throw rateLimitedFor('Too many wrong PINs at this kiosk; try again later', Math.max(1, waitSeconds));
    }
    throw invalidPin();
  }

  /** The named children of the adult (404 for one not theirs), each once. */
  function theirChildren(children: KioskChild[], studentIds: string[]) {
    const byId = new Set(children.map((c) => c.id));
    const wanted = [...new Set(studentIds.map((s) => s.toLowerCase()))];
    for (const id of wanted) if (!byId.has(id)) throw notFound('Student');
    return wanted;
  }

  /** All the children or none: their check-ins (or check-outs) run in the door's one transaction. */
  async function forEachChild(k: KioskContext, pin: string, studentIds: string[], action: 'kiosk.checked_in' | 'kiosk.checked_out', run: (tx: Tx, actor: Actor, guardianId: string, studentId: string) => Promise<AttendanceDto>) {
    try {
      return await atDoor(k, pin, async (tx, guardian) => {
        const ids = theirChildren(guardian.children, studentIds);
        const items: AttendanceDto[] = [];
        for (const id of ids) items.push(await run(tx, actorOf(k), guardian.id, id));
        await kioskAudit(tx, k, action, { guardianId: guardian.id, studentIds: ids, attendanceIds: items.map((i) => i.id) });
        return { items };
      });
    } catch (e) {
      throw attendance.asCheckInConflict(e);
    }
  }

  return {
    /** A new random PIN for the adult, unique in the centre; shown this once (only its keyed hash is stored). */
    async setPin(ctx: TenantContext, rawId: string, ifMatch?: number): Promise<{ pin: string }> {
      const id = requireId(rawId, 'Guardian');
      for (let attempt = 0; ; attempt++) {
        try {
          return await db.scoped(forTenant(ctx), async (tx) => {
            const g = await guardians.lockGuardian(tx, ctx.tenantId, id);
            if (!g) throw notFound('Guardian');
            checkIfMatch(g.version, ifMatch);
            if (g.archivedAt) throw conflict('The guardian is archived');
            const candidates = Array.from({ length: 8 }, () => pins.generate());
            const taken = await guardians.takenPinHashes(tx, ctx.tenantId, candidates.map((p) => pins.hash(p)));
            const pin = candidates.find((p) => !taken.has(pins.hash(p)));
            if (!pin) throw conflict('No free PIN found; try again');
            await guardians.setPinHash(tx, ctx.tenantId, id, pins.hash(pin), clock.now());
            // The audit row records that a PIN was issued, never the PIN or its hash.
            await auditRepository.append(tx, { ...auditActor(ctx), action: 'guardian.pin_set', targetType: 'guardian', targetId: id });
            return { pin };
          });
        } catch (e) {
          // Another adult took the same PIN at the same moment: draw again.
          if (pgConstraint(e) === PIN_UNIQUE && attempt < 3) continue;
          throw e;
        }
      }
    },

    async create(ctx: TenantContext, input: { name: string }) {
      return db.scoped(forTenant(ctx), async (tx) => {
        const id = newId();
        const { token, hash } = newKioskToken(ctx.tenantId, id);
        const dto = await createRecorded(tx, ctx, {
          action: 'kiosk.created',
          targetType: 'kiosk',
          insert: () => kiosksRepository.insert(tx, { id, tenantId: ctx.tenantId, name: input.name, tokenHash: hash, createdByMembershipId: ctx.membershipId }),
          dto: kioskDto,
        });
        return { ...dto, token };
      });
    },

    async list(ctx: TenantContext, q: { limit: number; cursor?: string }) {
      const cursor = decodeUuidCursor(q.cursor);
      const rows = await db.scoped(forTenant(ctx), (tx) => kiosksRepository.listLive(tx, ctx.tenantId, { cursor, limit: q.limit }));
      return toPage(rows, q.limit, kioskDto, (r) => r.id);
    },

    /** Revokes the kiosk: its token fails from the next request on (every request reads the kiosk's row). */
    async revoke(ctx: TenantContext, rawId: string, ifMatch?: number) {
      const id = requireId(rawId, 'Kiosk');
      await db.scoped(forTenant(ctx), (tx) =>
        changeVersioned(tx, ctx, {
          what: 'Kiosk',
          target: { type: 'kiosk', id },
          ifMatch,
          lock: async () => {
            const row = await kiosksRepository.getForUpdate(tx, ctx.tenantId, id);
            return row && !row.revokedAt ? row : undefined;
          },
          write: (b) => kiosksRepository.revoke(tx, ctx.tenantId, id, b.version, clock.now()),
          audit: (b, a) => ({ action: 'kiosk.revoked', before: kioskDto(b), after: { ...kioskDto(a), revokedAt: a.revokedAt?.toISOString() } }),
        }),
      );
    },

    /** The kiosk a Bearer token names: a live kiosk of the token's centre whose secret matches, else 401. */
    async authenticate(token: string, meta: RequestMeta): Promise<KioskContext> {
      const parsed = parseKioskToken(token);
      if (!parsed) throw unauthenticated('A valid kiosk token is required');
      const row = await db.scoped(forTenant(parsed.tenantId), (tx) => kiosksRepository.getLive(tx, parsed.tenantId, parsed.kioskId));
      if (!row || !secretMatches(parsed.secret, row.tokenHash)) throw unauthenticated('A valid kiosk token is required');
      return { ...meta, tenantId: row.tenantId, kioskId: row.id, kioskName: row.name };
    },

    lookup: (k: KioskContext, pin: string) =>
      atDoor(k, pin, async (tx, guardian) => {
        const children = guardian.children;
        await kioskAudit(tx, k, 'kiosk.lookup', { guardianId: guardian.id, studentIds: children.map((c) => c.id) });
        return {
          guardian: { id: guardian.id, firstName: guardian.firstName },
          children: children.map((c) => ({ id: c.id, firstName: c.firstName, lastName: c.lastName, checkedIn: c.checkedIn, canPickUp: c.authorizedPickup })),
        };
      }),

    checkIn: (k: KioskContext, input: { pin: string; studentIds: string[] }) =>
      forEachChild(k, input.pin, input.studentIds, 'kiosk.checked_in', (tx, actor, guardianId, studentId) =>
        attendance.checkInWith(tx, actor, { studentId, droppedOffByGuardianId: guardianId, method: 'kiosk' }),
      ),

    checkOut: (k: KioskContext, input: { pin: string; studentIds: string[] }) =>
      forEachChild(k, input.pin, input.studentIds, 'kiosk.checked_out', (tx, actor, guardianId, studentId) =>
        attendance.checkOutWith(tx, actor, { studentId, pickedUpByGuardianId: guardianId }),
      ),
  };
}
export type KiosksService = ReturnType<typeof createKiosksService>;
