import { z } from 'zod';
import { bool, int, optionalString, originList, retryWaits, trustProxy, url } from './config-parsers.js';

/**
 * Every environment variable of CONTRACT §1 (and a few tuning knobs), parsed once.
 * A bad value stops the process with one line naming the variable — never its value.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).optional().default('development'),
  PORT: int(3000, 0, 65535),
  HOST: optionalString.transform((v) => v ?? '127.0.0.1'),
  DATA_DIR: optionalString.transform((v) => v ?? './.data'),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  DB_POOL_MAX: int(10, 1, 200),
  DB_POOL_MAX_PER_TENANT: int(0, 1, 200),
  DB_STATEMENT_TIMEOUT_MS: int(25_000, 100, 29_000),
  DB_LOCK_TIMEOUT_MS: int(2_000, 10, 29_000),
  REDIS_URL: url(['redis:', 'rediss:']).refine((v) => v === undefined || !URL.canParse(v) || /^\/?(\d{1,5})?$/.test(new URL(v).pathname), {
    message: 'must end in a database number, if anything (redis://host:6379/0)',
  }),
  REDIS_CLUSTER: bool,
  SUPABASE_URL: url(['https:', 'http:']),
  SUPABASE_JWT_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, {
    message: 'must be at least 32 characters',
  }),
  SESSION_SECRET: optionalString.refine((v) => v === undefined || Buffer.byteLength(v) >= 32, {
    message: 'must be at least 32 bytes',
  }),
  APP_ORIGINS: originList,
  PUBLIC_URL: url(['https:', 'http:']),
  S3_BUCKET: optionalString,
  AWS_REGION: optionalString,
  S3_ENDPOINT: url(['https:', 'http:']),
  JOBS_QUEUE_URL: url(['https:', 'http:']),
  SQS_ENDPOINT: url(['https:', 'http:']),
  JOBS_QUEUE: z.enum(['memory', 'pgboss', 'sqs']).optional(),
  JOBS_TIMEOUT_SECONDS: int(900, 2, 24 * 3600),
  JOBS_RETRY_DELAY_SECONDS: int(30, 0, 3600),
  JOBS_LEASE_SECONDS: int(30, 2, 600),
  NOTIFY_SEND_LEASE_SECONDS: int(120, 5, 3600),
  WORKER_CONCURRENCY: int(1, 1, 50),
  JOBS_STALLED_SECONDS: int(120, 5, 24 * 3600),
  // Behind a reverse proxy: a hop count (1 = one proxy in front) or a comma list of the proxies' addresses/CIDRs.
  TRUST_PROXY: trustProxy,
  BODY_LIMIT: int(1024 * 1024, 1024, 6 * 1024 * 1024),
  REFRESH_REUSE_GRACE_SECONDS: int(10, 0, 300),
  ACCESS_TOKEN_TTL_SECONDS: int(600, 30, 900),
  SESSION_IDLE_TIMEOUT_SECONDS: int(7 * 24 * 3600, 60, 90 * 24 * 3600),
  SESSION_ABSOLUTE_TIMEOUT_SECONDS: int(30 * 24 * 3600, 300, 365 * 24 * 3600),
  RATE_LIMIT_AUTH_PER_MINUTE: int(3000, 1, 1_000_000),
  RATE_LIMIT_AUTH_PER_USER_PER_MINUTE: int(120, 1, 1_000_000),
  RATE_LIMIT_PER_MINUTE: int(6000, 1, 10_000_000),
  RATE_LIMIT_TENANTS_PER_ACCOUNT_PER_DAY: int(10, 1, 1_000_000),
  RATE_LIMIT_INVITATIONS_PER_TENANT_PER_HOUR: int(200, 1, 1_000_000),
  SCHEDULER_ENABLED: bool,
  SHUTDOWN_DRAIN_SECONDS: int(10, 0, 120),
  LOG_PRETTY: bool,
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['https:', 'http:']),
  OTEL_SERVICE_NAME: optionalString,
  OTEL_METRICS_EXPORTER: z.enum(['otlp', 'awsemf']).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().default('info'),
  PAYMENTS_PROVIDER: z.enum(['fake', 'stripe']).optional(),
  STRIPE_SECRET_KEY: optionalString,
  STRIPE_WEBHOOK_SECRET: optionalString,
  // The SDK takes a host, a port and a protocol (no path): an origin, e.g. a local stand-in's http://127.0.0.1:12111.
  STRIPE_API_URL: url(['https:', 'http:']).refine((v) => v === undefined || !URL.canParse(v) || ['', '/'].includes(new URL(v).pathname + new URL(v).search), {
    message: 'must be an origin (scheme://host[:port]), without a path',
  }),
  // Notifications (issue 23).
  APP_URL: url(['https:', 'http:']),
  SMTP_URL: url(['smtp:', 'smtps:']),
  EMAIL_FROM: optionalString.refine((v) => v === undefined || /^[^\s@<>]+@[^\s@<>]+$/.test(v), { message: 'must be an email address' }),
  EMAIL_TRANSPORT: z.enum(['ses']).optional(),
  MESSAGE_EMAIL_DELAY_SECONDS: int(300, 0, 7 * 24 * 3600),
  NOTIFY_RETRY_SECONDS: retryWaits,
});

export type Config = ReturnType<typeof toConfig>;

export class ConfigError extends Error {
  /** Every problem found, each naming its variable; `variable` is the first one's. */
  readonly problems: { variable: string; reason: string }[];
  constructor(public readonly variable: string, reason: string, more: { variable: string; reason: string }[] = []) {
    const problems = [{ variable, reason }, ...more];
    super(`Invalid configuration: ${problems.map((p) => `${p.variable} ${p.reason}`).join('; ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function configError(problems: { variable: string; reason: string }[]) {
  const [first, ...rest] = problems;
  return new ConfigError(first!.variable, first!.reason, rest);
}

function toConfig(e: z.infer<typeof envSchema>) {
  return {
    env: e.NODE_ENV,
    isProduction: e.NODE_ENV === 'production',
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    dbPoolMax: e.DB_POOL_MAX,
    /** Pool connections one centre may hold at once; 0: the default share (all but a quarter of the pool). */
    dbPoolMaxPerTenant: e.DB_POOL_MAX_PER_TENANT,
    /** Bounds of every statement of application work (the client-side query timeout is 1 s more; below the gateway's 30 s). */
    dbLimits: { statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS, lockTimeoutMs: e.DB_LOCK_TIMEOUT_MS },
    redisUrl: e.REDIS_URL,
    redisCluster: e.REDIS_CLUSTER ?? false,
    supabaseUrl: e.SUPABASE_URL?.replace(/\/$/, ''),
    supabaseJwtSecret: e.SUPABASE_JWT_SECRET,
    /** Local mode: no Supabase configured and not production — tokens are signed with a secret kept in DATA_DIR. */
    localAuth: !e.SUPABASE_URL && !e.SUPABASE_JWT_SECRET && e.NODE_ENV !== 'production',
    sessionSecret: e.SESSION_SECRET,
    appOrigins: e.APP_ORIGINS,
    publicUrl: e.PUBLIC_URL?.replace(/\/$/, ''),
    appUrl: (e.APP_URL ?? 'http://localhost:3000').replace(/\/$/, ''),
    s3: e.S3_BUCKET ? { bucket: e.S3_BUCKET, region: e.AWS_REGION ?? 'us-east-1', endpoint: e.S3_ENDPOINT } : undefined,
    /** Where jobs go: SQS (AWS), pg-boss on DATABASE_URL (self-hosted, several processes), or this process (default). */
    jobsQueue: (e.JOBS_QUEUE ?? (e.JOBS_QUEUE_URL ? 'sqs' : 'memory')) as 'memory' | 'pgboss' | 'sqs',
    /** pg-boss: a job running longer is taken for lost (its worker died) and retried; retries back off from the delay. */
    jobs: { timeoutSeconds: e.JOBS_TIMEOUT_SECONDS, retryDelaySeconds: e.JOBS_RETRY_DELAY_SECONDS, workerConcurrency: e.WORKER_CONCURRENCY, leaseSeconds: e.JOBS_LEASE_SECONDS, stalledSeconds: e.JOBS_STALLED_SECONDS },
    /** The reverse proxies whose X-Forwarded-For is believed (api/middleware/session.ts clientIp); none by default. */
    trustProxy: e.TRUST_PROXY as { hops: number } | { cidrs: string[] } | undefined,
    sqs: e.JOBS_QUEUE_URL ? { queueUrl: e.JOBS_QUEUE_URL, endpoint: e.SQS_ENDPOINT, region: e.AWS_REGION ?? 'us-east-1' } : undefined,
    bodyLimit: e.BODY_LIMIT,
    refreshGraceSeconds: e.REFRESH_REUSE_GRACE_SECONDS,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    sessionIdleSeconds: e.SESSION_IDLE_TIMEOUT_SECONDS,
    sessionAbsoluteSeconds: e.SESSION_ABSOLUTE_TIMEOUT_SECONDS,
    rateLimitAuthPerMinute: e.RATE_LIMIT_AUTH_PER_MINUTE,
    rateLimitAuthPerUserPerMinute: e.RATE_LIMIT_AUTH_PER_USER_PER_MINUTE,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    rateLimitTenantsPerAccountPerDay: e.RATE_LIMIT_TENANTS_PER_ACCOUNT_PER_DAY,
    rateLimitInvitationsPerTenantPerHour: e.RATE_LIMIT_INVITATIONS_PER_TENANT_PER_HOUR,
    schedulerEnabled: e.SCHEDULER_ENABLED ?? e.NODE_ENV !== 'test',
    /** On SIGTERM/SIGINT: how long requests in flight (then a running job) may take before the pools close. */
    shutdownDrainSeconds: e.SHUTDOWN_DRAIN_SECONDS,
    logLevel: e.LOG_LEVEL,
    /** Emails (services/notifications/): links under appUrl; SMTP, SES, or `.eml` files in DATA_DIR/mail/. */
    email: {
      appUrl: e.APP_URL ?? 'http://localhost:3000',
      smtpUrl: e.SMTP_URL,
      from: e.EMAIL_FROM ?? 'no-reply@daycare.local',
      transport: e.EMAIL_TRANSPORT,
      region: e.AWS_REGION ?? 'us-east-1',
      messageDelaySeconds: e.MESSAGE_EMAIL_DELAY_SECONDS,
      retrySeconds: e.NOTIFY_RETRY_SECONDS,
      sendLeaseSeconds: e.NOTIFY_SEND_LEASE_SECONDS,
    },
    /** Readable logs (pino-pretty, a dev dependency): LOG_PRETTY=true, or development on a terminal. */
    logPretty: e.LOG_PRETTY ?? (e.NODE_ENV === 'development' && process.stdout.isTTY === true),
    /** OpenTelemetry traces and metrics over OTLP/HTTP; off (and the SDK never loaded) without the endpoint. */
    otel:
      e.OTEL_EXPORTER_OTLP_ENDPOINT || e.OTEL_METRICS_EXPORTER === 'awsemf'
        ? {
            serviceName: e.OTEL_SERVICE_NAME ?? 'daycare-api',
            metricsExporter: e.OTEL_METRICS_EXPORTER ?? 'otlp',
            tracesExporter: e.OTEL_EXPORTER_OTLP_ENDPOINT ? ('otlp' as const) : ('none' as const),
          }
        : undefined,
    /** Online payments: `fake` (local and tests; refused in production) or Stripe, STRIPE_API_URL pointing at a stand-in in tests. */
    payments: {
      provider: e.PAYMENTS_PROVIDER ?? ('fake' as const),
      stripe: {
        secretKey: e.STRIPE_SECRET_KEY,
        webhookSecret: e.STRIPE_WEBHOOK_SECRET,
        api: e.STRIPE_API_URL ? stripeApi(e.STRIPE_API_URL) : undefined,
      },
    },
  };
}

/** STRIPE_API_URL as the SDK's `host`, `port` and `protocol` options. */
function stripeApi(origin: string) {
  const u = new URL(origin);
  const protocol = u.protocol === 'http:' ? ('http' as const) : ('https' as const);
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port || (protocol === 'http' ? 80 : 443)), protocol };
}

/** Parses the environment; throws one ConfigError naming every bad or missing variable at once. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Parsed once per process: zod's compiled fast path would cost more to generate than it saves (a cold start pays it).
  const parsed = envSchema.safeParse(env, { jitless: true });
  if (!parsed.success) {
    const seen = new Set<string>();
    const problems = [];
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0] ?? 'environment');
      if (seen.has(variable)) continue;
      seen.add(variable);
      problems.push({ variable, reason: issue.code === 'invalid_value' ? `must be one of the allowed values` : issue.message });
    }
    throw configError(problems);
  }
  const config = toConfig(parsed.data);
  const problems: { variable: string; reason: string }[] = [];
  if (config.isProduction) {
    if (!config.databaseUrl) problems.push({ variable: 'DATABASE_URL', reason: 'is required when NODE_ENV=production' });
    if (!config.sessionSecret) problems.push({ variable: 'SESSION_SECRET', reason: 'is required when NODE_ENV=production' });
    if (!config.supabaseUrl && !config.supabaseJwtSecret)
      problems.push({ variable: 'SUPABASE_URL', reason: 'or SUPABASE_JWT_SECRET is required when NODE_ENV=production' });
    if (!config.email.smtpUrl && config.email.transport !== 'ses')
      problems.push({ variable: 'SMTP_URL', reason: 'or EMAIL_TRANSPORT=ses is required when NODE_ENV=production (emails must really go out)' });
  }
  if (env.OTEL_METRICS_EXPORTER === 'otlp' && !config.otel)
    problems.push({ variable: 'OTEL_METRICS_EXPORTER', reason: 'otlp needs OTEL_EXPORTER_OTLP_ENDPOINT' });
  if (config.jobsQueue === 'pgboss' && !config.databaseUrl)
    problems.push({ variable: 'JOBS_QUEUE', reason: 'pgboss needs DATABASE_URL (pg-boss keeps its queue in PostgreSQL, not in the embedded database)' });
  if (config.jobsQueue === 'pgboss' && config.sqs) problems.push({ variable: 'JOBS_QUEUE', reason: 'pgboss cannot be combined with JOBS_QUEUE_URL (SQS)' });
  if (config.jobsQueue === 'sqs' && !config.sqs) problems.push({ variable: 'JOBS_QUEUE_URL', reason: 'is required with JOBS_QUEUE=sqs' });
  if (config.isProduction && config.payments.provider === 'fake')
    problems.push({ variable: 'PAYMENTS_PROVIDER', reason: 'must be stripe when NODE_ENV=production (fake is for local runs and tests)' });
  if (config.payments.provider === 'stripe') {
    if (!config.payments.stripe.secretKey) problems.push({ variable: 'STRIPE_SECRET_KEY', reason: 'is required with PAYMENTS_PROVIDER=stripe' });
    if (!config.payments.stripe.webhookSecret) problems.push({ variable: 'STRIPE_WEBHOOK_SECRET', reason: 'is required with PAYMENTS_PROVIDER=stripe' });
  }
  if (config.s3 && !env.AWS_REGION && !config.s3.endpoint) problems.push({ variable: 'AWS_REGION', reason: 'is required with S3_BUCKET' });
  if (problems.length) throw configError(problems);
  return config;
}

/**
 * What a start-up line should warn about: settings that work on one host and break with several. The contract lets
 * both default outside production (a random secret in DATA_DIR, local disk), so they warn rather than refuse; production
 * already refuses without SESSION_SECRET.
 */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.databaseUrl && !config.sessionSecret)
    warnings.push('SESSION_SECRET is not set: this process signs sessions with a secret of its own DATA_DIR, so another process or host on the same DATABASE_URL refuses them (401). Set the same SESSION_SECRET on every process');
  if (config.databaseUrl && !config.s3)
    warnings.push('S3_BUCKET is not set: files are kept on this host\'s disk (DATA_DIR), which other hosts cannot read. With more than one host, use S3 or an S3-compatible store (S3_BUCKET, S3_ENDPOINT)');
  return warnings;
}
