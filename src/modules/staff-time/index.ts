/** Staff time: shifts (clock in, move, clock out) and timecards. */
export { createShiftsService, type ShiftsService, type ShiftDto } from './shifts.service.js';
export { shiftsOnDuty, type ShiftsOnDuty } from './shifts-on-duty.js';
