import type { Cache } from '../adapters/cache/cache.js';
import type { Clock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import type { KioskContext, RequestContext } from '../core/context.js';
import type { Logger } from '../core/logger.js';
import type { RateLimiter } from '../core/rate-limits.js';
import type { AccessClaims, TokenService } from '../core/security/tokens.js';
import type { AttendanceService } from '../services/attendance.service.js';
import type { Authenticator } from '../services/auth/authenticator.js';
import type { MemberContextService } from '../services/auth/member-context.service.js';
import type { SessionsService } from '../services/auth/sessions.service.js';
import type { CentreServices } from '../services/centre.js';
import type { FilesService } from '../services/files.service.js';
import type { IdempotencyService } from '../services/idempotency.service.js';
import type { InvitationsService } from '../services/invitations.service.js';
import type { JobsService } from '../services/jobs.service.js';
import type { MessagesService } from '../services/messages.service.js';
import type { AbsencesService } from '../services/absences.service.js';
import type { CareEntriesService } from '../services/care-entries.service.js';
import type { IncidentsService } from '../services/incidents.service.js';
import type { TenancyService } from '../services/tenancy.service.js';
import type { ShiftsService } from '../services/shifts.service.js';
import type { KiosksService } from '../services/kiosks.service.js';
import type { EnrolmentService } from '../services/enrolment/enrolment.service.js';
import type { PublicEnrolmentService, PublicFormContext } from '../services/enrolment/public.service.js';
import type { BillingService } from '../services/billing/billing.service.js';
import type { NotificationsService } from '../services/notifications/notifications.service.js';
import type { PaymentsService } from '../services/payments/payments.service.js';

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
    /** Serves an internal request through the same app (the visibility check before a 403, see requirePermission). */
    dispatch?: (req: Request) => Promise<Response>;
  };
}
