/** People: rooms, students (with their guardian links and the CSV import's domain work), guardians, staff. */
export { createCentreServices, type CentreServices } from './centre.js';
export type { StudentsService, StudentDto } from './students.service.js';
export type { RoomsService, RoomDto } from './rooms.service.js';
export type { GuardiansService, GuardianDto } from './guardians.service.js';
export type { StaffService, StaffDto } from './staff.service.js';
export type { StudentRow } from './students.repository.js';
/** Staff records read in the caller's transaction (the container hands them to staff time). */
export { staffRecords, type StaffRecords } from './staff-records.js';
