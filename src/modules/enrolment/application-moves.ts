import type { Clock } from '../../core/clock.js';
import type { Actor, TenantContext } from '../../core/context.js';
import { conflict, notFound } from '../../core/errors.js';
import type { ApplicationStatus, WaitlistPriority } from '../../models/enums.js';
import type { Tx } from '../../db/db.js';
import { applicationsRepository, waitlistSettingsRepository, type ApplicationInsert, type ApplicationRow } from './enrolment.repository.js';
import type { PeopleForEnrolment } from '../people/index.js';
import { changeVersioned } from '../../kernel/versioned-change.js';
import { applicationDto, applicationRecord, DEFAULT_WAITLIST, effectiveStatus, type WaitlistSettings } from './applications.dto.js';

/** Who acts on an application: a member, or the holder of an offer link (no user, no membership). */
export type EnrolmentActor = Actor & { roles: readonly string[] };

export const wrongStatus = (status: string, verb: string) => conflict(`An application that is ${status} cannot be ${verb}`);
export const clearOffer = { offerRoomId: null, offerStartDate: null, offerPlanId: null, offerExpiresAt: null, offerOutOfOrderReason: null, offerTokenHash: null, offerTokenUsedAt: null };

/**
 * What every change of an application shares, in the caller's transaction: the centre's waitlist settings, the
 * application as the API shows it, the room check, and one audited, versioned move.
 */
export function createApplicationMoves({ clock, people }: { clock: Clock; people: Pick<PeopleForEnrolment, 'room'> }) {
  async function settingsOf(tx: Tx, tenantId: string): Promise<WaitlistSettings> {
    const row = await waitlistSettingsRepository.get(tx, tenantId);
    return row ? { priorities: row.priorities as WaitlistPriority[], offerHoldHours: row.offerHoldHours, applicationRetentionMonths: row.retentionMonths } : { ...DEFAULT_WAITLIST };
  }
  async function read(tx: Tx, tenantId: string, id: string) {
    const s = await settingsOf(tx, tenantId);
    const row = await applicationsRepository.get(tx, tenantId, id, s.priorities);
    if (!row) throw notFound('Application');
    return applicationDto(row, clock.now());
  }
  async function checkRoom(tx: Tx, tenantId: string, roomId: string | null | undefined) {
    if (!roomId) return;
    const room = await people.room(tx, tenantId, roomId.toLowerCase());
    if (!room || room.archivedAt) throw notFound('Room');
  }

  /**
   * One move of an application: lock → 404 → If-Match → the status rule (409) → the write (version compare-and-set)
   * → the audit row (before/after), all in the caller's transaction.
   */
  async function move(
    tx: Tx,
    ctx: Actor,
    id: string,
    action: string,
    ifMatch: number | undefined,
    change: (before: ApplicationRow, status: ApplicationStatus) => Promise<Partial<ApplicationInsert>> | Partial<ApplicationInsert>,
  ) {
    const now = clock.now();
    const { after } = await changeVersioned(tx, ctx as TenantContext, {
      what: 'Application',
      target: { type: 'application', id },
      ifMatch,
      lock: () => applicationsRepository.getForUpdate(tx, ctx.tenantId, id),
      write: async (b) => applicationsRepository.update(tx, ctx.tenantId, id, await change(b, effectiveStatus(b, now)), b.version, now),
      audit: (b, a) => ({ action, before: applicationRecord(b, now), after: applicationRecord(a, now) }),
    });
    return after!;
  }

  return { settingsOf, read, checkRoom, move };
}
export type ApplicationMoves = ReturnType<typeof createApplicationMoves>;
