/**
 * The one permissions table (CONTRACT §4). Routes declare the permission they need; services check rules about a
 * specific resource (a guardian's own child) through `access.ts`.
 */
export const ROLES = ['owner', 'admin', 'teacher', 'guardian'] as const;
export type Role = (typeof ROLES)[number];
export const ENTITLEMENTS = ['messaging', 'reports', 'imports', 'billing'] as const;
export type Entitlement = (typeof ENTITLEMENTS)[number];

export const PERMISSIONS = [
  'tenant:read',
  'tenant:manage',
  'owners:grant',
  'members:manage',
  'audit:read',
  'centre:read',
  'centre:write',
  'staff:read',
  'attendance:read',
  'attendance:write',
  'rollups:read',
  'messages:read',
  'messages:send',
  'reports:run',
  'imports:run',
  'jobs:read',
  'files:presign',
  'files:read',
  'shifts:write',
  'timecards:read',
  'guardians:pin',
  'kiosks:manage',
  /** Read the care log, daily reports, absences and incidents (a guardian: their own children's, as §4 says). */
  'day:read',
  /** Write the care log, record and change incidents. */
  'day:write',
  'absences:report',
  'incidents:review',
  'incidents:acknowledge',
  /** One's own notifications and notification preferences (every member). */
  'notifications:own',
  /** The centre's notification delivery log. */
  'notifications:deliveries',
  /** Billing settings, plans, accounts, subscriptions, charges, runs, invoices, credits, recorded payments, refunds. */
  'billing:manage',
  /** Read billing accounts, invoices, ledger, payments, statements (a guardian: the accounts they pay for). */
  'billing:read',
  /** Start an online payment (a guardian: for the accounts they pay for). */
  'billing:pay',
  /** Applications, the waitlist, offers and application forms. */
  'enrolment:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

// Teachers clock in, out and move on their own staff record and read their own timecard (the services hold them to it).
const STAFF_READ: Permission[] = [
  'tenant:read', 'centre:read', 'staff:read', 'attendance:read', 'attendance:write', 'rollups:read', 'messages:read', 'messages:send', 'files:presign', 'files:read',
  'shifts:write', 'timecards:read',
  'day:read', 'day:write', 'absences:report', 'notifications:own',
];
/** Only a guardian acknowledges an incident (their signature, not the centre's). */
const GUARDIAN_ONLY: Permission[] = ['incidents:acknowledge'];
/** Guardians read and pay only the billing accounts they pay for (the billing services hold them to it). */
const GUARDIAN_BILLING: Permission[] = ['billing:read', 'billing:pay'];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: PERMISSIONS.filter((p) => !GUARDIAN_ONLY.includes(p)),
  admin: PERMISSIONS.filter((p) => p !== 'tenant:manage' && p !== 'owners:grant' && !GUARDIAN_ONLY.includes(p)),
  teacher: STAFF_READ,
  guardian: ['tenant:read', 'centre:read', 'attendance:read', 'messages:read', 'messages:send', 'files:presign', 'files:read', 'day:read', 'absences:report', 'incidents:acknowledge', 'notifications:own', ...GUARDIAN_BILLING],
};

/** Plan features that gate permissions: without the entitlement the permission is not granted whatever the role. */
export const ENTITLEMENT_GATES: Partial<Record<Permission, Entitlement>> = {
  'messages:read': 'messaging',
  'messages:send': 'messaging',
  'reports:run': 'reports',
  'imports:run': 'imports',
  'billing:manage': 'billing',
  'billing:read': 'billing',
  'billing:pay': 'billing',
};

export function permissionsFor(roles: readonly string[], entitlements: readonly string[]): Permission[] {
  // A pure function of its arguments, asked on every request: the answers are kept (frozen, so no caller can change
  // one another caller holds: a write throws). There are only so many combinations; the map is bounded anyway.
  const key = `${roles.join(',')}|${entitlements.join(',')}`;
  const known = memo.get(key);
  if (known) return known;
  if (memo.size >= 1000) memo.clear();
  const answer = Object.freeze(computePermissions(roles, entitlements)) as Permission[];
  memo.set(key, answer);
  return answer;
}
const memo = new Map<string, Permission[]>();

function computePermissions(roles: readonly string[], entitlements: readonly string[]): Permission[] {
  const set = new Set<Permission>();
  for (const r of roles) for (const p of ROLE_PERMISSIONS[r as Role] ?? []) set.add(p);
  for (const [p, ent] of Object.entries(ENTITLEMENT_GATES)) if (!entitlements.includes(ent!)) set.delete(p as Permission);
  return PERMISSIONS.filter((p) => set.has(p));
}

/** A member whose only role is `guardian` sees only their own children (and those children's rooms). */
export function isGuardianOnly(roles: readonly string[]): boolean {
  return roles.includes('guardian') && !roles.some((r) => r === 'owner' || r === 'admin' || r === 'teacher');
}

export interface MenuItem {
  id: string;
  label: string;
  path: string;
}
const MENU: (MenuItem & { needs: Permission; staffOnly?: boolean })[] = [
  { id: 'children', label: 'Children', path: '/students', needs: 'centre:read' },
  { id: 'rooms', label: 'Rooms', path: '/rooms', needs: 'centre:read' },
  { id: 'attendance', label: 'Attendance', path: '/attendance', needs: 'attendance:read' },
  { id: 'messages', label: 'Messages', path: '/messages', needs: 'messages:read' },
  { id: 'guardians', label: 'Guardians', path: '/guardians', needs: 'centre:read', staffOnly: true },
  { id: 'staff', label: 'Staff', path: '/staff', needs: 'staff:read' },
  { id: 'reports', label: 'Reports', path: '/reports', needs: 'reports:run' },
  { id: 'imports', label: 'Imports', path: '/imports', needs: 'imports:run' },
  { id: 'billing', label: 'Billing', path: '/billing', needs: 'billing:read' },
  { id: 'enrolment', label: 'Waitlist', path: '/waitlist', needs: 'enrolment:manage' },
  { id: 'members', label: 'Members', path: '/members', needs: 'members:manage' },
  { id: 'audit', label: 'Audit log', path: '/audit-logs', needs: 'audit:read' },
  { id: 'settings', label: 'Centre settings', path: '/settings', needs: 'tenant:manage' },
];

export function menuFor(roles: readonly string[], permissions: readonly Permission[]): MenuItem[] {
  const guardianOnly = isGuardianOnly(roles);
  return MENU.filter((m) => permissions.includes(m.needs) && !(m.staffOnly && guardianOnly)).map(({ id, label, path }) => ({ id, label, path }));
}
