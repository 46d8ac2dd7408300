import type { Cache } from '../adapters/cache/cache.js';
import type { Clock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import type { RequestContext } from '../core/context.js';
import type { Logger } from '../core/logger.js';
import type { AccessClaims, TokenService } from '../core/security/tokens.js';
import type { AttendanceService } from '../services/attendance.service.js';
import type { AuthService } from '../services/auth.service.js';
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

/**
 * What the HTTP edge is handed (by src/container.ts, through createApp): the services and the few cross-cutting
 * pieces its middleware needs. Declared here, so the API depends on services, never on the composition root.
 */
export interface AppContainer {
  config: Config;
  logger: Logger;
  clock: Clock;
  cache: Cache;
  /** Only the readiness probe (/health/ready) touches the database handle. */
  db: { ping(timeoutMs: number): Promise<unknown> };
  tokens: TokenService;
  auth: AuthService;
  tenancy: TenancyService;
  invitations: InvitationsService;
  idempotency: IdempotencyService;
  centre: CentreServices;
  attendance: AttendanceService;
  absences: AbsencesService;
  careEntries: CareEntriesService;
  incidents: IncidentsService;
  messages: MessagesService;
  files: FilesService;
  jobs: JobsService;
}

/** Hono's per-request variables. */
export interface AppEnv {
  Variables: {
    requestId: string;
    container: AppContainer;
    ctx?: RequestContext;
    /** The verified access token (logout blocklists its jti; switch replaces it). */
    claims?: AccessClaims;
    /** Serves an internal request through the same app (the visibility check before a 403, see requirePermission). */
    dispatch?: (req: Request) => Promise<Response>;
  };
}
