/**
 * The closed sets of values the model stores, in one table-free file: the tables use them as column enums, services
 * type their inputs with them, and the API's zod schemas validate with them (src/api/ may import this file, never a
 * table).
 */
export const AGE_GROUPS = ['infant', 'toddler', 'preschool', 'school_age'] as const;
export type AgeGroup = (typeof AGE_GROUPS)[number];

export const STUDENT_STATUSES = ['enrolled', 'withdrawn'] as const;
export type StudentStatus = (typeof STUDENT_STATUSES)[number];

export const MEMBERSHIP_STATUSES = ['invited', 'active', 'suspended'] as const;
export type MembershipStatus = (typeof MEMBERSHIP_STATUSES)[number];

export const FILE_PURPOSES = ['student_photo', 'document', 'import', 'report'] as const;
export const FILE_STATUSES = ['pending', 'uploaded', 'rejected'] as const;

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;

export const AUDIENCE_TYPES = ['student', 'room', 'tenant', 'room_staff'] as const;

export const ATTENDANCE_METHODS = ['staff', 'kiosk'] as const;
export type AttendanceMethod = (typeof ATTENDANCE_METHODS)[number];
