import type { AbsenceRow } from './absences.repository.js';

export const absenceDto = (r: AbsenceRow) => ({
  id: r.id,
  studentId: r.studentId,
  date: r.date,
  reason: r.reason,
  note: r.note,
  reportedByMembershipId: r.reportedByMembershipId,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  version: r.version,
});
export type AbsenceDto = ReturnType<typeof absenceDto>;
