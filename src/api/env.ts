import type { Cache } from '../adapters/cache/cache.js';
import type { Clock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import type { KioskContext, RequestContext } from '../core/context.js';
import type { Logger } from '../core/logger.js';
import type { RateLimiter } from '../core/rate-limits.js';
import type { AccessClaims, TokenService } from '../core/security/tokens.js';
import type { AttendanceService } from '../modules/attendance/index.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { MemberContextService } from '../auth/member-context.service.js';
import type { SessionsService } from '../auth/sessions.service.js';
import type { CentreServices } from '../modules/people/index.js';
import type { FilesService } from '../modules/files/index.js';
import type { IdempotencyService } from '../kernel/idempotency.service.js';
import type { InvitationsService } from '../modules/tenancy/index.js';
import type { JobsService } from '../modules/imports-reports/index.js';
import type { MessagesService } from '../modules/messages/index.js';
import type { AbsencesService } from '../modules/attendance/index.js';
import type { CareEntriesService } from '../modules/care-log/index.js';
import type { IncidentsService } from '../modules/incidents/index.js';
import type { TenancyService } from '../modules/tenancy/index.js';
import type { ShiftsService } from '../modules/staff-time/index.js';
import type { KiosksService } from '../modules/kiosk/index.js';
import type { EnrolmentService } from '../modules/enrolment/index.js';
import type { PublicEnrolmentService, PublicFormContext } from '../modules/enrolment/index.js';
import type { BillingService } from '../modules/billing/index.js';
import type { NotificationsService } from '../modules/notifications/index.js';
import type { PaymentsService } from '../modules/payments/index.js';

/**
 * What the HTTP edge is handed (by src/container.ts, through createApp): the services and the few cross-cutting
 * pieces its middleware needs. Declared here, so the API depends on services, never on the composition root.
 */
export interface AppContainer {
  config: Config;
  logger: Logger;
  clock: Clock;
  cache: Cache;
  /** The counted limits of the policy table (core/rate-limits.ts). */
  limits: RateLimiter;
  /** Only the readiness probe (/health/ready) touches the database handle. */
  db: { ping(timeoutMs: number): Promise<unknown> };
  /** pg-boss only: due jobs waiting with nobody consuming them (/health/ready's `jobs`). */
  jobsBacklog?: () => Promise<{ status: 'ok' | 'stalled'; waiting: number; oldestWaitingSeconds: number; workerConnections: number }>;
  tokens: TokenService;
  /** Auth in three rooms: sign-in and the session's life, the per-request check, the member's context. */
  sessions: SessionsService;
  authenticator: Authenticator;
  memberContext: MemberContextService;
  tenancy: TenancyService;
  invitations: InvitationsService;
  idempotency: IdempotencyService;
  centre: CentreServices;
  attendance: AttendanceService;
  shifts: ShiftsService;
  kiosks: KiosksService;
  /** Seals stored responses that carry a credential shown once (idempotency replays). */
  sealer: { seal(value: unknown): string; open(sealed: string): unknown };
  absences: AbsencesService;
  careEntries: CareEntriesService;
  incidents: IncidentsService;
  billing: BillingService;
  /** Online payments (issue 25): checkout, the provider's webhooks, online refunds, the fake's /dev/checkout page. */
  onlinePayments: PaymentsService;
  messages: MessagesService;
  files: FilesService;
  jobs: JobsService;
  enrolment: EnrolmentService;
  publicEnrolment: PublicEnrolmentService;
  notifications: NotificationsService;
  /** After an unsafe request: what it committed (outbox events, emails) is delivered now rather than at the next poll. */
  onCommitted?: () => void;
}

/** Hono's per-request variables. */
export interface AppEnv {
  Variables: {
    requestId: string;
    container: AppContainer;
    ctx?: RequestContext;
    /** Set on /kiosk/* routes instead of `ctx`: the kiosk a Bearer token named (src/api/middleware/kiosk.ts). */
    kiosk?: KioskContext;
    /** Set on /public/* routes: the application form a Bearer token named (src/api/middleware/public.ts). */
    publicForm?: PublicFormContext;
    /** Set on /public/* routes: who an Idempotency-Key belongs to (the form, or the application an offer token names). */
    publicCaller?: { tenantId: string; subjectId: string };
    /** Set by a handler whose answer carries a credential shown once: its stored copy is sealed. */
    sealResponse?: boolean;
    /** The verified access token (logout blocklists its jti; switch replaces it). */
    claims?: AccessClaims;
  };
}
