/** People: rooms, students (with their guardian links and the CSV import's domain work), guardians, staff. */
export { createCentreServices, type CentreServices } from './centre.js';
export type { StudentsService, StudentDto } from './students.service.js';
export type { RoomsService, RoomDto } from './rooms.service.js';
export type { GuardiansService, GuardianDto } from './guardians.service.js';
export type { StaffService, StaffDto } from './staff.service.js';
export type { StudentRow } from './students.repository.js';
/** Staff records read in the caller's transaction (the container hands them to staff time). */
export { staffRecords, type StaffRecords } from './staff-records.js';
import { guardiansRepository } from './guardians.repository.js';
import { roomsRepository } from './rooms.repository.js';
import { studentGuardiansRepository, studentsRepository } from './students.repository.js';

/** What enrolment reads and writes of people, each call in enrolment's own transaction (the container injects it). */
export const peopleForEnrolment = {
  room: roomsRepository.get,
  /** The room row locked: every promise of a place queues on it. */
  lockRoom: roomsRepository.getForUpdate,
  liveRoomIds: roomsRepository.liveIds,
  liveGuardianByEmail: guardiansRepository.liveByEmail,
  insertGuardian: guardiansRepository.insert,
  insertStudent: studentsRepository.insert,
  linkGuardian: studentGuardiansRepository.insert,
};
export type PeopleForEnrolment = typeof peopleForEnrolment;

/** What the kiosk module needs of guardians to issue a PIN, in its own transaction (the container injects it). */
export const guardianPins = {
  /** The guardian row locked (the PIN is issued under If-Match). */
  lockGuardian: guardiansRepository.getForUpdate,
  takenPinHashes: guardiansRepository.takenPinHashes,
  setPinHash: guardiansRepository.setPinHash,
};
export type GuardianPins = typeof guardianPins;
