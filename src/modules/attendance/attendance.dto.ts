import type { AttendanceMethod } from '../../models/enums.js';
import type { AttendanceRow } from './attendance.repository.js';
import type { RollupRow } from './rollups.repository.js';

export const attendanceDto = (r: AttendanceRow) => ({
  id: r.id,
  studentId: r.studentId,
  roomId: r.roomId,
  date: r.date,
  checkInAt: r.checkInAt.toISOString(),
  checkOutAt: r.checkOutAt ? r.checkOutAt.toISOString() : null,
  checkedInByMembershipId: r.checkedInByMembershipId,
  checkedOutByMembershipId: r.checkedOutByMembershipId,
  droppedOffByGuardianId: r.droppedOffByGuardianId,
  pickedUpByGuardianId: r.pickedUpByGuardianId,
  method: r.method,
  note: r.note,
  movedToRoomId: r.movedToRoomId,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  version: r.version,
});
export type AttendanceDto = ReturnType<typeof attendanceDto>;

export const rollupDto = (r: RollupRow) => ({
  roomId: r.roomId,
  date: r.date,
  childrenPresent: r.childrenPresent,
  totalMinutes: r.totalMinutes,
  peakCount: r.peakCount,
  ratioBreaches: r.ratioBreaches,
  staffMinutes: r.staffMinutes,
  outOfRatioMinutes: r.outOfRatioMinutes,
});

export interface CheckInInput {
  studentId: string;
  at?: string;
  note?: string;
  droppedOffByGuardianId?: string;
  /** 'kiosk' when an adult checked the child in at the door (the kiosk service); staff otherwise. */
  method?: AttendanceMethod;
}
export interface CheckOutInput {
  studentId: string;
  at?: string;
  pickedUpByGuardianId?: string;
}
export interface MoveInput {
  studentId: string;
  roomId: string;
  at?: string;
}
export interface CorrectionInput {
  checkInAt?: string;
  checkOutAt?: string;
  note?: string | null;
  reason: string;
}
