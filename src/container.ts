import type { Cache } from './adapters/cache/cache.js';
import { MemoryCache } from './adapters/cache/memory-cache.js';
import { createRateLimiter } from './adapters/cache/rate-limiter.js';
import { systemClock, type Clock } from './core/clock.js';
import type { Config } from './core/config.js';
import { localAuthSecretFor, localSecret } from './core/local-secrets.js';
import { createLogger, type Logger } from './core/logger.js';
import { rateLimitPolicies } from './core/rate-limits.js';
import { startTelemetry, telemetry } from './core/telemetry.js';
import { createSupabaseVerifier } from './core/security/supabase.js';
import { TokenService } from './core/security/tokens.js';
import { openDatabase, type Database } from './db/db.js';
import { createAuthenticator } from './auth/authenticator.js';
import { createMemberContextService } from './auth/member-context.service.js';
import { createSessionsService } from './auth/sessions.service.js';
import { createTenancyService } from './modules/tenancy/index.js';
import { createInvitationsService } from './modules/tenancy/index.js';
import { createIdempotencyService } from './kernel/idempotency.service.js';
import { openStorage } from './adapters/storage/index.js';
import { MemoryQueue, openQueue } from './adapters/queue/index.js';
import { openPayments } from './adapters/payments/index.js';
import type { LocalFileServer } from './adapters/storage/storage.js';
import { createCentreServices, guardianPins, peopleForEnrolment, staffRecords } from './modules/people/index.js';
import { attendanceReads, createAttendanceService } from './modules/attendance/index.js';
import { createShiftsService } from './modules/staff-time/index.js';
import { createKiosksService } from './modules/kiosk/index.js';
import { PinHasher } from './core/security/kiosk-credentials.js';
import { ResponseSealer } from './core/security/sealer.js';
import { createMessagesService, postStudentMessage } from './modules/messages/index.js';
import { createAbsencesService } from './modules/attendance/index.js';
import { createCareEntriesService } from './modules/care-log/index.js';
import { createIncidentsService } from './modules/incidents/index.js';
import { createFilesService } from './modules/files/index.js';
import { createJobFence, createJobsService } from './modules/imports-reports/index.js';
import { createOutboxService } from './kernel/events.js';
import { openMailer, type Mailer } from './adapters/mail/index.js';
import { createNotify } from './modules/notifications/index.js';
import { createNotificationsService, notificationAudience as audience } from './modules/notifications/index.js';
import type { ServiceDeps } from './kernel/deps.js';
import { createReportsService } from './modules/imports-reports/index.js';
import { createTasksService } from './modules/tasks/index.js';
import { TASKS } from './modules/index.js';
import { createEnrolmentService } from './modules/enrolment/index.js';
import { createPublicEnrolmentService } from './modules/enrolment/index.js';
import type { EnrolmentBilling } from './modules/enrolment/index.js';
import type { Notify } from './kernel/notify-port.js';
import { settingsSection, type TenantSettingsSection } from './modules/tenancy/index.js';
import { WaitlistSettings } from './modules/enrolment/module.js';
import { BillingSettingsPatch } from './modules/billing/module.js';
import { NotificationSettingsPatch } from './modules/notifications/module.js';
import { createBillingService, createEnrolmentBilling, createPaymentsBilling } from './modules/billing/index.js';
import type { BillingNotify } from './modules/billing/index.js';
import { createPaymentsService } from './modules/payments/index.js';
import { createWorkerHost } from './workers/host.js';
import { MAX_ATTEMPTS } from './workers/runner.js';

/** The one composition root: built once per process (or Lambda environment). */
export async function createContainer(
  config: Config,
  overrides: {
    db?: Database;
    cache?: Cache;
    clock?: Clock;
    logger?: Logger;
    /** `npm run worker`: pg-boss also supervises and keeps the clock. */ queueRole?: 'sender' | 'worker';
    /** Tests: a stand-in transport. */
    mailer?: Mailer;
    /** Enrolment's ports (tests hand in recording fakes); the merger wires the real notifications and billing. */
    enrolment?: { notify?: Notify; billing?: EnrolmentBilling };
    /** Billing's and online payments' notification port (tests hand in a recording one; the merger wires the real one). */
    billing?: { notify?: BillingNotify };
  } = {},
) {
  const logger = overrides.logger ?? createLogger(config.logLevel, undefined, { pretty: config.logPretty });
  // Only with OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_METRICS_EXPORTER=awsemf): the SDK is imported here, once per process, never otherwise.
  if (config.otel) await startTelemetry(config.otel);
  const clock = overrides.clock ?? systemClock;
  const db =
    overrides.db ??
    (await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      poolMax: config.dbPoolMax,
      poolMaxPerTenant: config.dbPoolMaxPerTenant || undefined,
      limits: config.dbLimits,
      onPoolError: (err) => logger.warn({ err }, 'database connection dropped'),
    }));
  const cache = overrides.cache ?? (await openCache(config, logger));
  const sessionSecret = config.sessionSecret ?? (await localSecret(config, 'session-secret'));
  const localAuthSecret = config.localAuth ? await localAuthSecretFor(config) : undefined;
  const tokens = new TokenService(sessionSecret, config.accessTokenTtlSeconds);
  const verifySupabase = createSupabaseVerifier({ supabaseUrl: config.supabaseUrl, jwtSecret: config.supabaseJwtSecret, localSecret: localAuthSecret });
  // Every counted limit, from the one policy table (core/rate-limits.ts), on the cache's store (Redis or in process).
  const limits = createRateLimiter(cache, rateLimitPolicies(config), () => clock.now().getTime());
  // Auth in three rooms: sessions (sign-in, refresh, logout, switch), the per-request authenticator, /me/context.
  const sessions = createSessionsService({ db, cache, tokens, verifySupabase, clock, logger, limits, config });
  const authenticator = createAuthenticator({ db, cache, tokens, clock, limits });
  const memberContext = createMemberContextService({ db });
  // Notifications: in-app rows and pending emails written in the change's transaction (services/notifications/).
  const notify = createNotify({ clock, messageDelaySeconds: config.email.messageDelaySeconds });
  // Settings sections other capabilities keep under their key of GET/PATCH /tenant (enrolment's `waitlist`, …).
  const tenantSections: TenantSettingsSection[] = [];
  const tenancy = createTenancyService({ db, authenticator, sections: () => tenantSections, notify });
  const invitations = createInvitationsService({ db, clock, authenticator });
  const idempotency = createIdempotencyService({ db, clock });
  const storage = await openStorage(config, sessionSecret, clock);
  const queue = await openQueue(config, { maxAttempts: MAX_ATTEMPTS, role: overrides.queueRole, onError: (err) => logger.warn({ err }, 'job queue error') });
  // The container decides which adapters stand behind the ports: services never ask which driver they were given.
  const localFiles = storage.kind === 'local' ? (storage as typeof storage & LocalFileServer) : undefined;
  // Online payments: the fake (default, refused in production) or Stripe, whose SDK is imported on its first call.
  const payments = openPayments(config, { clock, sessionSecret });
  // The email transport the worker host sends the pending deliveries through.
  const mailer = overrides.mailer ?? openMailer(config);
  const deps: ServiceDeps = { config, logger, clock, db, cache, tokens, storage, queue, localFiles, payments, notify };
  const files = createFilesService(deps);
  const centre = createCentreServices({ ...deps, imports: { files, jobs: createJobFence(deps) } }); // the CSV import's file and job fence
  // Commits that recorded events kick the worker host's outbox drain (defined below; called only after start-up).
  const onCommitted = () => workers.kick();
  const jobs = createJobsService({ ...deps, files, onRecorded: onCommitted });
  // Billing: notify is the notifications port (tests may hand in a recording one); the late-pickup fee is attendance's
  // check-out port.
  const billingNotify: BillingNotify = overrides.billing?.notify ?? notify;
  const billing = createBillingService({ db, clock, notify: billingNotify, enqueue: jobs.enqueue });
  // Online payments (issue 25): checkout, webhooks, online refunds; recorded payments are refunded by billing's ledger.
  const onlinePayments = createPaymentsService({
    db,
    clock,
    logger,
    notify: billingNotify,
    payments,
    returnOrigins: [new URL(config.email.appUrl).origin, ...config.appOrigins],
    refundRecorded: (ctx, id, input) => billing.ledger.refund(ctx, id, input),
    billing: createPaymentsBilling({ clock }),
  });
  const attendance = createAttendanceService({ ...deps, onCheckOut: (tx, ctx, c) => billing.lateFeeOnCheckOut(tx, ctx, c) });
  const shifts = createShiftsService({ ...deps, staff: staffRecords });
  // Kiosk PINs are keyed by a secret derived from SESSION_SECRET under its own label (kiosk-credentials.ts).
  const kiosks = createKiosksService({ db, clock, pins: new PinHasher(sessionSecret), attendance, guardians: guardianPins });
  const messages = createMessagesService({ ...deps, audience });
  const absences = createAbsencesService(deps);
  const careEntries = createCareEntriesService({ ...deps, attendance: attendanceReads });
  const incidents = createIncidentsService({ ...deps, postStudentMessage, attendance: attendanceReads, audience });
  const outbox = createOutboxService(deps);
  const notifications = createNotificationsService({ db, clock, logger, mailer, notify, config: config.email });
  const reports = createReportsService({ ...deps, files });
  const tasks = createTasksService({ ...deps, perTenant: TASKS });
  // Enrolment: notifications and billing reach it through its ports (tests may hand in recording fakes).
  const enrolmentNotify: Notify = overrides.enrolment?.notify ?? notify;
  const enrolment = createEnrolmentService({ db, clock, notify: enrolmentNotify, billing: overrides.enrolment?.billing ?? createEnrolmentBilling({ clock }), tenancy, people: peopleForEnrolment });
  const publicEnrolment = createPublicEnrolmentService({ db, clock, limits, notify: enrolmentNotify, enrolment, people: peopleForEnrolment });
  // GET|PATCH /tenant's sections, each with its value's schema and who may see and change it (one transaction per request).
  const billingSection = { readPermission: 'billing:read', writePermission: { permission: 'billing:manage', denied: 'Billing settings need the billing entitlement' } } as const;
  tenantSections.push(
    settingsSection({ key: 'waitlist', schema: WaitlistSettings, versioned: true, read: enrolment.settingsOf, write: enrolment.writeWaitlistSettings }),
    settingsSection({ key: 'notifications', schema: NotificationSettingsPatch, versioned: false, read: notifications.settingsIn, write: notifications.writeSettings }),
    settingsSection({ key: 'billing', schema: BillingSettingsPatch, ...billingSection, versioned: false, read: billing.settingsIn, write: billing.writeSettings }),
  );

  // Background work: the worker host is handed the services, as createApp is (src/workers/host.ts).
  const workers = createWorkerHost({ services: { jobs, students: centre.students, files, reports, tasks, billing, outbox, notifications }, queue, logger, clock });
  // The in-process queue runs jobs in this process (local server and tests); SQS messages go to the worker Lambda.
  if (queue instanceof MemoryQueue) queue.setHandler((message, attempt) => workers.consume(message, attempt));
  // pg-boss: jobs due and nobody taking them (no `npm run worker` running, or too few) — readiness, a metric, a log line.
  const backlog = jobsBacklog(queue, config.jobs.stalledSeconds, logger);
  if (telemetry.enabled) {
    telemetry.observeQueueDepth(() => queueDepth(queue));
    if (backlog) telemetry.observeQueueAge(async () => (await backlog()).oldestWaitingSeconds);
    if (db.stats) telemetry.observePool('daycare', () => db.stats?.());
  }

  return {
    config,
    logger,
    clock,
    db,
    cache,
    limits,
    tokens,
    sessions,
    authenticator,
    memberContext,
    tenancy,
    invitations,
    idempotency,
    storage,
    queue,
    payments,
    centre,
    attendance,
    shifts,
    kiosks,
    sealer: new ResponseSealer(sessionSecret),
    absences,
    careEntries,
    incidents,
    messages,
    files,
    jobs,
    notifications,
    mailer,
    reports,
    tasks,
    enrolment,
    publicEnrolment,
    billing,
    onlinePayments,
    workers,
    /** The API calls it after every unsafe request: what the request recorded is delivered promptly, not at the next poll. */
    onCommitted,
    /** pg-boss only: whether due jobs wait with nobody consuming them (GET /health/ready's `jobs`). */
    jobsBacklog: backlog,
    /** What this process runs on, for its start line. */
    setup: {
      database: db.kind,
      cache: cache.kind,
      queue: queue.kind,
      storage: storage.kind,
      email: mailer.kind,
      payments: config.payments.provider,
      telemetry: telemetry.enabled ? { traces: config.otel?.tracesExporter ?? 'none', metrics: config.otel?.metricsExporter ?? 'none' } : 'off',
    },
    localAuthSecret,
    /** Start-up check that a Redis URL's database index exists (an unreachable Redis is not fatal: requests get 503). */
    async checkCache() {
      if ('checkDatabase' in cache && typeof cache.checkDatabase === 'function') await cache.checkDatabase();
    },
    /** Shutdown: waits (bounded) for the in-process queue's running job; what is left stays queued in the database. */
    async drainQueue(ms: number) {
      if (!('idle' in queue) || typeof queue.idle !== 'function' || ms <= 0) return;
      let t: NodeJS.Timeout | undefined;
      await Promise.race([(queue.idle as () => Promise<void>).call(queue), new Promise((r) => (t = setTimeout(r, ms)))]);
      clearTimeout(t);
    },
    async close() {
      await workers.stop().catch(() => undefined);
      await telemetry.flush().catch(() => undefined);
      await queue.close();
      await mailer.close().catch(() => undefined);
      await cache.close();
      await db.close();
    },
  };
}
export type Container = Awaited<ReturnType<typeof createContainer>>;
/** `npm run token` signs with it (src/entrypoints/cli.ts). */
export { localAuthSecretFor };

export async function openCache(config: Config, logger: Logger): Promise<Cache> {
  if (!config.redisUrl) return new MemoryCache();
  const { RedisCache } = await import('./adapters/cache/redis-cache.js');
  return new RedisCache({ url: config.redisUrl, cluster: config.redisCluster, onError: (err) => logger.warn({ err }, 'redis error') });
}

export interface JobsBacklog {
  /** `stalled`: due jobs have waited longer than JOBS_STALLED_SECONDS (no worker consuming them, or too few). */
  status: 'ok' | 'stalled';
  waiting: number;
  oldestWaitingSeconds: number;
  /** Connections held by `npm run worker` processes (0: no worker is running). */
  workerConnections: number;
}

/** pg-boss's backlog, read at most every 5 s; a warning line (at most one a minute) while jobs are stalled. */
function jobsBacklog(queue: object, stalledSeconds: number, logger: Logger): (() => Promise<JobsBacklog>) | undefined {
  if (!('backlog' in queue) || typeof queue.backlog !== 'function') return undefined;
  const read = queue.backlog.bind(queue) as () => Promise<{ waiting: number; oldestSeconds: number; workerConnections: number }>;
  let cached: { at: number; value: Promise<JobsBacklog> } | undefined;
  let warnedAt = 0;
  return () => {
    const now = Date.now();
    if (cached && now - cached.at < 5_000) return cached.value;
    const value = read().then((b) => {
      const stalled = b.waiting > 0 && b.oldestSeconds >= stalledSeconds;
      if (stalled && Date.now() - warnedAt >= 60_000) {
        warnedAt = Date.now();
        logger.warn(
          { event: 'jobs.stalled', waiting: b.waiting, oldestWaitingSeconds: b.oldestSeconds, workerConnections: b.workerConnections },
          b.workerConnections ? 'jobs are waiting longer than JOBS_STALLED_SECONDS: the workers are behind (run more, or raise WORKER_CONCURRENCY)' : 'jobs are waiting with no worker consuming them: start `npm run worker`',
        );
      }
      return { status: stalled ? ('stalled' as const) : ('ok' as const), waiting: b.waiting, oldestWaitingSeconds: b.oldestSeconds, workerConnections: b.workerConnections };
    });
    cached = { at: now, value };
    value.catch(() => (cached = undefined));
    return value;
  };
}

/** Jobs waiting: the in-process queue's length, pg-boss's count (SQS: CloudWatch's ApproximateNumberOfMessagesVisible). */
async function queueDepth(queue: object): Promise<number> {
  if ('depth' in queue && typeof queue.depth === 'function') return ((await queue.depth()) as { waiting: number }).waiting;
  return 'size' in queue && typeof queue.size === 'number' ? queue.size : 0;
}
