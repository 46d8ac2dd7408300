import { z } from 'zod';

/**
 * Every environment variable of CONTRACT §1 (and a few tuning knobs), parsed once.
 * A bad value stops the process with one line naming the variable — never its value.
 */
const int = (def: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer between ${min} and ${max}` });
        return z.NEVER;
      }
      return n;
    });

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const url = (protocols: string[]) =>
  optionalString.refine(
    (v) => {
      if (v === undefined) return true;
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${protocols.join(' or ')})` },
  );

const bool = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return undefined;
    if (['1', 'true', 'yes', 'on'].includes(v.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(v.toLowerCase())) return false;
    ctx.addIssue({ code: 'custom', message: 'must be true or false' });
    return z.NEVER;
  });

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).optional().default('development'),
  PORT: int(3000, 0, 65535),
  HOST: optionalString.transform((v) => v ?? '127.0.0.1'),
  DATA_DIR: optionalString.transform((v) => v ?? './.data'),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  DB_POOL_MAX: int(10, 1, 200),
  REDIS_URL: url(['redis:', 'rediss:']),
  REDIS_CLUSTER: bool,
  SUPABASE_URL: url(['https:', 'http:']),
  SUPABASE_JWT_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, {
    message: 'must be at least 32 characters',
  }),
  SESSION_SECRET: optionalString.refine((v) => v === undefined || Buffer.byteLength(v) >= 32, {
    message: 'must be at least 32 bytes',
  }),
  APP_ORIGINS: optionalString.transform((v, ctx) => {
    if (!v) return [] as string[];
    const origins = v.split(',').map((o) => o.trim()).filter(Boolean);
    for (const o of origins) {
      let parsed: URL;
      try {
        parsed = new URL(o);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of origins (https://app.example.com)' });
        return z.NEVER;
      }
      if (parsed.origin !== o.replace(/\/$/, '') || o === '*') {
        ctx.addIssue({ code: 'custom', message: 'must list exact origins (scheme://host[:port]), no paths or wildcards' });
        return z.NEVER;
      }
    }
    return origins.map((o) => o.replace(/\/$/, ''));
  }),
  PUBLIC_URL: url(['https:', 'http:']),
  S3_BUCKET: optionalString,
  AWS_REGION: optionalString,
  S3_ENDPOINT: url(['https:', 'http:']),
  JOBS_QUEUE_URL: url(['https:', 'http:']),
  SQS_ENDPOINT: url(['https:', 'http:']),
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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().default('info'),
});

export type Config = ReturnType<typeof toConfig>;

export class ConfigError extends Error {
  constructor(public readonly variable: string, reason: string) {
    super(`Invalid configuration: ${variable} ${reason}`);
    this.name = 'ConfigError';
  }
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
    redisUrl: e.REDIS_URL,
    redisCluster: e.REDIS_CLUSTER ?? false,
    supabaseUrl: e.SUPABASE_URL?.replace(/\/$/, ''),
    supabaseJwtSecret: e.SUPABASE_JWT_SECRET,
    /** Local mode: no Supabase configured and not production — tokens are signed with a secret kept in DATA_DIR. */
    localAuth: !e.SUPABASE_URL && !e.SUPABASE_JWT_SECRET && e.NODE_ENV !== 'production',
    sessionSecret: e.SESSION_SECRET,
    appOrigins: e.APP_ORIGINS,
    publicUrl: e.PUBLIC_URL?.replace(/\/$/, ''),
    s3: e.S3_BUCKET ? { bucket: e.S3_BUCKET, region: e.AWS_REGION ?? 'us-east-1', endpoint: e.S3_ENDPOINT } : undefined,
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
    logLevel: e.LOG_LEVEL,
  };
}

/** Parses the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    const reason = issue.code === 'invalid_value' ? `must be one of the allowed values` : issue.message;
    throw new ConfigError(variable, reason);
  }
  const config = toConfig(parsed.data);
  if (config.isProduction) {
    if (!config.databaseUrl) throw new ConfigError('DATABASE_URL', 'is required when NODE_ENV=production');
    if (!config.sessionSecret) throw new ConfigError('SESSION_SECRET', 'is required when NODE_ENV=production');
    if (!config.supabaseUrl && !config.supabaseJwtSecret)
      throw new ConfigError('SUPABASE_URL', 'or SUPABASE_JWT_SECRET is required when NODE_ENV=production');
  }
  if (config.s3 && !env.AWS_REGION && !config.s3.endpoint)
    throw new ConfigError('AWS_REGION', 'is required with S3_BUCKET');
  return config;
}
