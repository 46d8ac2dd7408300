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
}
