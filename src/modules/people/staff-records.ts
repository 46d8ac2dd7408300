import { staffRepository } from './staff.repository.js';

/** Staff records read in the caller's transaction: the container hands them to staff time (clock-in, timecards). */
export const staffRecords = { get: staffRepository.get, getForUpdate: staffRepository.getForUpdate };
export type StaffRecords = typeof staffRecords;
