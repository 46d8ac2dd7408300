/** Attendance: check-in/out, moves, corrections, absences, the roster and daily figures, rollups and their scheduled tasks. */
export { createAttendanceService, type AttendanceService, type OnCheckOut } from './attendance.service.js';
export type { AttendanceDto } from './attendance.dto.js';
export { createAbsencesService, type AbsencesService } from './absences.service.js';
export type { AbsenceDto } from './absences.dto.js';
export type { AttendanceRow } from './attendance.repository.js';
export type { AbsenceRow } from './absences.repository.js';
