import type { Permission } from './security/permissions.js';

/** Built once per request by the session middleware and passed first to every service method. */
export interface RequestContext {
  requestId: string;
  userId: string;
  email: string;
  sessionId: string;
  /** Null when the user has no active membership (e.g. right after first sign-in). */
  tenantId: string | null;
  membershipId: string | null;
  roles: string[];
  entitlements: string[];
  permissions: Permission[];
  /** True when the member is a guardian only: reads are limited to their own children. */
  guardianOnly: boolean;
  ip: string | null;
  userAgent: string | null;
}

/** A context whose tenant is known: what tenant-scoped services take. */
export type TenantContext = RequestContext & { tenantId: string; membershipId: string };

/**
 * Who performs a centre action: a signed-in member (a TenantContext is one), or a kiosk at the door, which has no user
 * and no membership. The attendance service takes this, so a kiosk's check-in follows the very rules a staff one does.
 */
export interface Actor {
  requestId: string;
  tenantId: string;
  userId: string | null;
  membershipId: string | null;
  email: string | null;
  guardianOnly: boolean;
  ip: string | null;
  userAgent: string | null;
}

/** A kiosk's request: the centre and the device its Bearer token names (CONTRACT §5 "Kiosk"). */
export interface KioskContext {
  requestId: string;
  tenantId: string;
  kioskId: string;
  kioskName: string;
  ip: string | null;
  userAgent: string | null;
}

/** Request metadata that audit rows need even before a session exists (exchange). */
export interface RequestMeta {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
}

/**
 * Who acts in background work: the centre, the member who asked for the job (audit rows name them) and the job. Passed
 * first to the service methods job handlers call, as a RequestContext is to those routes call.
 */
export interface JobActor {
  tenantId: string;
  membershipId: string | null;
  jobId: string;
  /** The run's fencing token (its lease on the job): every write transaction of the run checks it. */
  runToken?: number;
}
