/** Attendance: check-in/out, moves, corrections, absences, the roster and daily figures, rollups and their scheduled tasks. */
import type { Tx } from '../../db/db.js';
import { absenceDto } from './absences.dto.js';
import { attendanceDto } from './attendance.dto.js';
import { attendanceRepository } from './attendance.repository.js';

export { createAttendanceService, type AttendanceService, type OnCheckOut } from './attendance.service.js';
export type { AttendanceDto } from './attendance.dto.js';
export { createAbsencesService, type AbsencesService } from './absences.service.js';
export type { AbsenceDto } from './absences.dto.js';
export type { AttendanceRow } from './attendance.repository.js';
export type { AbsenceRow } from './absences.repository.js';

/**
 * What other capabilities read of attendance, in their own transaction: the container hands it to incidents (where the
 * child is now) and the care log (the daily report's stays and absence), each narrowing it with Pick<>.
 */
export const attendanceReads = {
  /** The child's stay open now; undefined when the child is not checked in. */
  openStay: (tx: Tx, tenantId: string, studentId: string) => attendanceRepository.findOpen(tx, tenantId, studentId),
  /** A stay as the API answers it (AttendanceRecord). */
  stayDto: attendanceDto,
  /** An absence as the API answers it (Absence). */
  absenceDto,
};
export type AttendanceReads = typeof attendanceReads;
