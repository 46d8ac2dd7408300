/**
 * One example request body per operation (by operationId), shown by /docs and checked against the route's own zod
 * schema by tests/api/openapi.test.ts. A body without an entry here gets one synthesised from its schema.
 */
const ROOM = '0196f1a4-8a5e-7c3b-9f1d-2b6c1e0a9d41';
const STUDENT = '0196f1a4-9b10-7d2e-8a41-5c7d3e2f1b60';
const GUARDIAN = '0196f1a4-a2c3-7f10-9b52-6d8e4f3a2c71';
const MEMBERSHIP = '0196f1a4-b4d5-7a21-8c63-7e9f5a4b3d82';
const FILE = '0196f1a4-c6e7-7b32-9d74-8fa06b5c4e93';

export const REQUEST_EXAMPLES: Record<string, unknown> = {
  'auth.exchange': { accessToken: 'eyJhbGciOiJFUzI1NiIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl' },
  'auth.switch': { membershipId: MEMBERSHIP },
  'tenants.create': { name: 'Sunshine Early Learning', timezone: 'Europe/London' },
  'tenant.update': { name: 'Sunshine Early Learning Centre', closingTime: '18:00' },
  'memberships.create': { email: 'teacher@example.com', roles: ['teacher'] },
  'memberships.update': { roles: ['teacher', 'admin'], status: 'active' },
  'rooms.create': { name: 'Butterflies', capacity: 12, ageGroup: 'toddler', ratio: 6 },
  'rooms.update': { capacity: 14 },
  'students.create': { firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '2021-05-14', roomId: ROOM, allergies: 'Peanuts' },
  'students.update': { roomId: ROOM, notes: 'Naps after lunch' },
  'students.guardians.link': { relationship: 'mother', authorizedPickup: true, emergencyContact: true, canViewRecords: true },
  'guardians.create': { firstName: 'Grace', lastName: 'Lovelace', email: 'grace@example.com', phone: '+44 20 7946 0000' },
  'guardians.update': { phone: '+44 20 7946 0001' },
  'staff.create': { firstName: 'Mary', lastName: 'Somerville', email: 'mary@example.com', roomIds: [ROOM] },
  'staff.update': { roomIds: [ROOM] },
  'attendance.checkIn': { studentId: STUDENT, droppedOffByGuardianId: GUARDIAN, note: 'Slept badly last night' },
  'attendance.checkOut': { studentId: STUDENT, pickedUpByGuardianId: GUARDIAN },
  'attendance.move': { studentId: STUDENT, roomId: ROOM, at: '2026-03-09T12:30:00Z' },
  'absences.create': { studentId: STUDENT, date: '2026-03-10', reason: 'sick', note: 'Temperature since last night' },
  'students.careEntries.create': { type: 'meal', details: { meal: 'lunch', amount: 'most', food: 'Pasta with peas' } },
  'rooms.careEntries.create': { type: 'meal', details: { meal: 'pm_snack', amount: 'all', food: 'Apple slices' } },
  'careEntries.update': { endAt: '2026-03-09T14:10:00Z' },
  'incidents.create': { studentId: STUDENT, occurredAt: '2026-03-09T10:40:00Z', type: 'injury', description: 'Fell from the low climbing frame and grazed her knee', actionTaken: 'Cleaned and plastered; comforted; back to play after 5 minutes', location: 'Garden' },
  'incidents.update': { actionTaken: 'Cleaned, plastered and an ice pack for 10 minutes' },
  'attendance.update': { checkOutAt: '2026-03-09T16:05:00Z', reason: 'Check-out was forgotten' },
  'messages.create': { audience: { type: 'room', id: ROOM }, body: 'Pyjama day on Friday!' },
  'files.presign': { purpose: 'document', contentType: 'application/pdf', size: 183204, fileName: 'allergy-plan.pdf', studentId: STUDENT },
  'reports.create': { type: 'attendance', from: '2026-03-01', to: '2026-03-31' },
  'imports.create': { type: 'students', fileId: FILE, dryRun: true },
  'staff.clockIn': { roomId: ROOM, at: '2026-03-09T07:55:00Z' },
  'staff.move': { roomId: ROOM },
  'staff.clockOut': { at: '2026-03-09T16:30:00Z' },
  'kiosks.create': { name: 'Front door tablet' },
  'applications.create': { child: { firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '2024-05-14' }, guardian: { firstName: 'Grace', lastName: 'Lovelace', email: 'grace@example.com' }, desiredStartDate: '2026-09-01', roomId: ROOM, siblingStudentId: STUDENT },
  'applications.update': { desiredStartDate: '2026-10-01' },
  'applications.offer': { roomId: ROOM, startDate: '2026-09-01', expiresAt: '2026-08-04T17:00:00Z' },
  'applications.decline': { returnToWaitlist: true },
  'applications.withdraw': { reason: 'Moved away' },
  'applicationForms.create': { name: 'Website form' },
  'public.applications.create': { child: { firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '2024-05-14' }, guardian: { firstName: 'Grace', lastName: 'Lovelace', email: 'grace@example.com' }, desiredStartDate: '2026-09-01' },
  'public.offers.lookup': { token: 'dco1_…' },
  'public.offers.respond': { token: 'dco1_…', decision: 'accept' },
  'kiosk.lookup': { pin: '048213' },
  'kiosk.checkIn': { pin: '048213', studentIds: [STUDENT] },
  'kiosk.checkOut': { pin: '048213', studentIds: [STUDENT] },
};
