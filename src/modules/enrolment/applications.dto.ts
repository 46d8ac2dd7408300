import type { ApplicationRow, ApplicationWithTier } from './enrolment.repository.js';
import type { ApplicationStatus, WaitlistPriority } from '../../models/enums.js';

export const DEFAULT_WAITLIST = { priorities: ['sibling', 'staff'] as WaitlistPriority[], offerHoldHours: 72, applicationRetentionMonths: 24 };
export type WaitlistSettings = { priorities: WaitlistPriority[]; offerHoldHours: number; applicationRetentionMonths: number };

/** The status a reader sees: an offer is expired from `expiresAt` on, whatever a sweeper has or has not done. */
export function effectiveStatus(a: Pick<ApplicationRow, 'status' | 'offerExpiresAt'>, now: Date): ApplicationStatus {
  if (a.status === 'offered' && a.offerExpiresAt && a.offerExpiresAt.getTime() <= now.getTime()) return 'expired';
  return a.status;
}

/** The application without its tier (the audit images: the tier is computed on read, not a stored fact). */
export const applicationRecord = (a: ApplicationRow, now: Date) => ({
  id: a.id,
  status: effectiveStatus(a, now),
  source: a.source,
  child: { firstName: a.childFirstName, lastName: a.childLastName, dateOfBirth: a.childDateOfBirth },
  guardian: { firstName: a.guardianFirstName, lastName: a.guardianLastName, email: a.guardianEmail, phone: a.guardianPhone },
  desiredStartDate: a.desiredStartDate,
  roomId: a.roomId,
  siblingStudentId: a.siblingStudentId,
  staffChild: a.staffChild,
  notes: a.notes,
  submittedAt: a.submittedAt.toISOString(),
  rankAt: a.rankAt.toISOString(),
  offer:
    a.offerRoomId && a.offerStartDate && a.offerExpiresAt
      ? { roomId: a.offerRoomId, startDate: a.offerStartDate, planId: a.offerPlanId, expiresAt: a.offerExpiresAt.toISOString(), outOfOrderReason: a.offerOutOfOrderReason }
      : null,
  studentId: a.studentId,
  guardianId: a.guardianId,
  membershipId: a.membershipId,
  possibleDuplicateOfId: a.possibleDuplicateOfId,
  withdrawReason: a.withdrawReason,
  createdAt: a.createdAt.toISOString(),
  updatedAt: a.updatedAt.toISOString(),
  version: a.version,
});

export const applicationDto = (a: ApplicationWithTier, now: Date) => {
  const r = applicationRecord(a, now);
  return { ...r, tier: a.tier };
};
export type ApplicationDto = ReturnType<typeof applicationDto>;
