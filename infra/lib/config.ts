import type { Node } from 'constructs';

/** Where the Redis-compatible cache lives. */
export type CacheMode = 'elasticache' | 'upstash';

/**
 * Everything the stack can be told from the outside (`cdk deploy -c key=value`).
 * See the context flags table in infra/README.md.
 */
export interface DaycareConfig {
  /** `elasticache` (default): Valkey on ElastiCache Serverless inside a new VPC. `upstash`: no VPC, the URL comes from a secret. */
  readonly cache: CacheMode;
  /** Frontend origins allowed by the app's CORS (APP_ORIGINS) and by the bucket's CORS rule. */
  readonly appOrigins: string[];
  /** Supabase project URL (SUPABASE_URL), e.g. https://xyz.supabase.co. */
  readonly supabaseUrl?: string;
  /** Create a secret for the legacy Supabase HS256 JWT secret (SUPABASE_JWT_SECRET_ARN). */
  readonly supabaseJwtSecret: boolean;
  /** E-mail address subscribed to the alarm topic. */
  readonly alarmEmail?: string;
  /** Reserved concurrency of the API function (unset: none, the account pool is shared). */
  readonly apiReservedConcurrency?: number;
  /** Maximum number of concurrent worker invocations the SQS event source may start (2..1000). */
  readonly workerMaxConcurrency: number;
  /** Steady-state request rate of the HTTP API's default stage (requests per second, all clients together). */
  readonly apiThrottleRate: number;
  /** Burst of the HTTP API's default stage. */
  readonly apiThrottleBurst: number;
  /** Run the Migrate function during `cdk deploy` (a triggers.Trigger). */
  readonly migrateOnDeploy: boolean;
  /** Use an existing Secrets Manager secret (complete ARN) for the database URL instead of creating one. */
  readonly databaseUrlSecretArn?: string;
  /**
   * `emf` (default): metrics as CloudWatch Embedded Metric Format log lines (OTEL_METRICS_EXPORTER=awsemf, no
   * collector). `adot`: also traces, through the AWS Distro for OpenTelemetry collector layer (`adotLayerArn`) on
   * localhost:4318, with X-Ray active tracing. `off`: neither (the SDK is never loaded).
   */
  readonly telemetry: 'off' | 'emf' | 'adot';
  /** The ADOT collector Lambda layer (arm64) for `telemetry=adot`, e.g. arn:aws:lambda:<region>:901920570463:layer:aws-otel-collector-arm64-ver-0-117-0:1. */
  readonly adotLayerArn?: string;
  /** The verified SES sender (EMAIL_FROM); the worker may send as that address's domain identity only. */
  readonly emailFrom?: string;
  /** The frontend's base URL for links in emails (APP_URL). */
  readonly appUrl?: string;
}

export const DEFAULT_CONFIG: DaycareConfig = {
  cache: 'elasticache',
  appOrigins: [],
  supabaseUrl: undefined,
  supabaseJwtSecret: false,
  alarmEmail: undefined,
  apiReservedConcurrency: undefined,
  workerMaxConcurrency: 5,
  apiThrottleRate: 500,
  apiThrottleBurst: 1000,
  migrateOnDeploy: true,
  databaseUrlSecretArn: undefined,
  telemetry: 'emf',
  adotLayerArn: undefined,
  emailFrom: undefined,
  appUrl: undefined,
};

function fail(key: string, message: string): never {
  throw new Error(`Invalid context value "${key}": ${message}`);
}

function str(node: Node, key: string): string | undefined {
  const v: unknown = node.tryGetContext(key);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(String).join(',');
  return fail(key, `expected a string, got ${JSON.stringify(v)}`);
}

function bool(node: Node, key: string, fallback: boolean): boolean {
  const v = str(node, key);
  if (v === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(v.toLowerCase())) return true;
  if (['false', '0', 'no', 'off'].includes(v.toLowerCase())) return false;
  return fail(key, `expected true or false, got "${v}"`);
}

function int(node: Node, key: string, fallback: number | undefined, min: number, max: number): number | undefined {
  const v = str(node, key);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v)) return fail(key, `expected an integer, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) return fail(key, `expected an integer in ${min}..${max}, got ${n}`);
  return n;
}

/** An origin is scheme://host[:port] with nothing after it; https only, except for localhost during development. */
export function parseOrigins(raw: string | undefined, key = 'appOrigins'): string[] {
  if (!raw) return [];
  const origins = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const o of origins) {
    if (o.includes('*')) fail(key, `wildcards are not allowed with credentials ("${o}")`);
    let url: URL;
    try {
      url = new URL(o);
    } catch {
      fail(key, `"${o}" is not a URL`);
    }
    if (url.origin !== o) fail(key, `"${o}" is not an origin (expected e.g. ${url.origin})`);
    const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
    if (url.protocol !== 'https:' && !(local && url.protocol === 'http:')) {
      fail(key, `"${o}" must use https`);
    }
  }
  return [...new Set(origins)];
}

/** Reads and validates the stack's context; a bad value stops the synthesis with a message naming the key. */
export function readConfig(node: Node, overrides: Partial<DaycareConfig> = {}): DaycareConfig {
  const cacheRaw = str(node, 'cache') ?? DEFAULT_CONFIG.cache;
  if (cacheRaw !== 'elasticache' && cacheRaw !== 'upstash') {
    fail('cache', `expected "elasticache" or "upstash", got "${cacheRaw}"`);
  }

  const supabaseUrl = str(node, 'supabaseUrl');
  if (supabaseUrl !== undefined) {
    let u: URL;
    try {
      u = new URL(supabaseUrl);
    } catch {
      fail('supabaseUrl', `"${supabaseUrl}" is not a URL`);
    }
    if (u.protocol !== 'https:') fail('supabaseUrl', 'must use https');
  }

  const alarmEmail = str(node, 'alarmEmail');
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    fail('alarmEmail', `"${alarmEmail}" is not an e-mail address`);
  }

  const databaseUrlSecretArn = str(node, 'databaseUrlSecretArn');
  if (databaseUrlSecretArn !== undefined && !/^arn:aws[a-z-]*:secretsmanager:[^:]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/.test(databaseUrlSecretArn)) {
    fail('databaseUrlSecretArn', 'expected the complete secret ARN (ending in the 6-character suffix)');
  }

  const telemetry = str(node, 'telemetry') ?? DEFAULT_CONFIG.telemetry;
  if (telemetry !== 'off' && telemetry !== 'emf' && telemetry !== 'adot') fail('telemetry', `expected "off", "emf" or "adot", got "${telemetry}"`);
  const adotLayerArn = str(node, 'adotLayerArn');
  if (adotLayerArn !== undefined && !/^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:layer:[^:]+:\d+$/.test(adotLayerArn)) fail('adotLayerArn', 'expected a Lambda layer version ARN');
  if (telemetry === 'adot' && !adotLayerArn && !overrides.adotLayerArn) fail('adotLayerArn', 'is required with telemetry=adot');

  const emailFrom = str(node, 'emailFrom');
  if (emailFrom !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(emailFrom)) fail('emailFrom', `"${emailFrom}" is not an e-mail address`);
  const appUrl = str(node, 'appUrl');
  if (appUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(appUrl)) fail('appUrl', `"${appUrl}" is not a URL`);

  const fromContext: DaycareConfig = {
    cache: cacheRaw,
    appOrigins: parseOrigins(str(node, 'appOrigins')),
    supabaseUrl: supabaseUrl?.replace(/\/+$/, ''),
    supabaseJwtSecret: bool(node, 'supabaseJwtSecret', DEFAULT_CONFIG.supabaseJwtSecret),
    alarmEmail,
    apiReservedConcurrency: int(node, 'apiReservedConcurrency', undefined, 1, 10_000),
    workerMaxConcurrency: int(node, 'workerMaxConcurrency', DEFAULT_CONFIG.workerMaxConcurrency, 2, 1000)!,
    apiThrottleRate: int(node, 'apiThrottleRate', DEFAULT_CONFIG.apiThrottleRate, 1, 100_000)!,
    apiThrottleBurst: int(node, 'apiThrottleBurst', DEFAULT_CONFIG.apiThrottleBurst, 1, 100_000)!,
    migrateOnDeploy: bool(node, 'migrateOnDeploy', DEFAULT_CONFIG.migrateOnDeploy),
    databaseUrlSecretArn,
    telemetry,
    adotLayerArn,
    emailFrom,
    appUrl,
  };
  return { ...fromContext, ...stripUndefined(overrides) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
