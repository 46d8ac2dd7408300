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

export const ABSENCE_REASONS = ['sick', 'vacation', 'appointment', 'family', 'other'] as const;
export type AbsenceReason = (typeof ABSENCE_REASONS)[number];

export const CARE_ENTRY_TYPES = ['meal', 'bottle', 'nap', 'diaper', 'toilet', 'mood', 'activity', 'note'] as const;
export type CareEntryType = (typeof CARE_ENTRY_TYPES)[number];
export const MEALS = ['breakfast', 'am_snack', 'lunch', 'pm_snack', 'dinner'] as const;
export const MEAL_AMOUNTS = ['none', 'some', 'most', 'all'] as const;
export const BOTTLE_CONTENTS = ['breast_milk', 'formula', 'milk', 'water', 'other'] as const;
export const DIAPER_KINDS = ['wet', 'bm', 'wet_bm', 'dry'] as const;
export const TOILET_KINDS = ['wet', 'bm', 'tried'] as const;
export const MOODS = ['happy', 'calm', 'tired', 'fussy', 'sad', 'unwell'] as const;
export type Mood = (typeof MOODS)[number];

export const INCIDENT_TYPES = ['injury', 'illness', 'allergic_reaction', 'behaviour', 'other'] as const;
export type IncidentType = (typeof INCIDENT_TYPES)[number];
export const INCIDENT_STATUSES = ['open', 'reviewed', 'acknowledged'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Enrolment (CONTRACT §5): `expired` is never stored — an offer is expired from its deadline on, computed on read. */
export const APPLICATION_STATUSES = ['waitlisted', 'offered', 'enrolled', 'declined', 'expired', 'withdrawn'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];
export const APPLICATION_SOURCES = ['staff', 'public'] as const;
export const WAITLIST_PRIORITIES = ['sibling', 'staff'] as const;
export type WaitlistPriority = (typeof WAITLIST_PRIORITIES)[number];
export const CHARGE_KINDS = ['manual', 'late_pickup'] as const;
export const CHARGE_STATUSES = ['pending', 'approved', 'waived'] as const;
export type ChargeStatus = (typeof CHARGE_STATUSES)[number];
/** Stored invoice states; the API's open/paid are derived from the ledger. */
export const INVOICE_STATES = ['draft', 'issued', 'void'] as const;
export const INVOICE_STATUSES = ['draft', 'open', 'paid', 'void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];
export const INVOICE_LINE_KINDS = ['tuition', 'sibling_discount', 'charge', 'adjustment'] as const;
export type InvoiceLineKind = (typeof INVOICE_LINE_KINDS)[number];
export const LEDGER_ENTRY_TYPES = ['invoice', 'void', 'payment', 'refund', 'payment_reversal', 'credit'] as const;
export type LedgerEntryType = (typeof LEDGER_ENTRY_TYPES)[number];
export const RECORDED_PAYMENT_METHODS = ['cash', 'check', 'bank_transfer', 'other'] as const;
export const PAYMENT_METHODS = [...RECORDED_PAYMENT_METHODS, 'online'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export const PAYMENT_STATUSES = ['pending', 'succeeded', 'failed', 'expired', 'reversed'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
export const REFUND_STATUSES = ['pending', 'succeeded', 'failed'] as const;
