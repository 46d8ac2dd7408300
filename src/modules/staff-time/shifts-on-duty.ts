import { shiftsRepository } from './shifts.repository.js';

/**
 * Who is clocked in where, read in the caller's transaction: attendance's scheduled tasks are handed it (the manifest
 * binds it): the end-of-day reminder names who is still clocked in, the rollup counts staff-minutes per room.
 */
export const shiftsOnDuty = { openShifts: shiftsRepository.openShifts, overlapping: shiftsRepository.overlapping };
export type ShiftsOnDuty = typeof shiftsOnDuty;
