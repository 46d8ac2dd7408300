import { CfnOutput, Duration, RemovalPolicy, Stack, TimeZone, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as triggers from 'aws-cdk-lib/triggers';
import type { Construct } from 'constructs';
import { DaycareAlarms } from './alarms.js';
import { readConfig, type DaycareConfig } from './config.js';
import { DEFAULT_LAMBDA_DIR } from './lambda-assets.js';
import { CacheNetwork } from './network.js';

export interface DaycareStackProps extends StackProps {
  /**
   * Directory holding `api.mjs`, `worker.mjs`, `migrate.mjs` (+ `migrations/`), written by the root project's
   * `npm run build:lambda`. Default: `<repo>/dist/lambda`.
   */
  readonly lambdaDir?: string;
  /** Overrides for the context flags (tests use this; the CLI uses `-c key=value`). */
  readonly config?: Partial<DaycareConfig>;
}

/** Key prefix under which the app stores every object: `tenants/<tenantId>/...`. */
export const TENANT_PREFIX = 'tenants/';

/** The tasks EventBridge Scheduler sends to the worker. The worker decides per tenant (by its time zone) what to do. */
export const SCHEDULED_TASKS = [
  { id: 'AttendanceRollup', task: 'attendance.rollup', expression: 'cron(15 * * * ? *)', maxEventAge: Duration.hours(1) },
  { id: 'AttendanceReminders', task: 'attendance.reminders', expression: 'rate(15 minutes)', maxEventAge: Duration.minutes(10) },
  { id: 'IncidentReminders', task: 'incidents.reminders', expression: 'cron(30 * * * ? *)', maxEventAge: Duration.hours(1) },
  { id: 'Cleanup', task: 'cleanup', expression: 'rate(1 hour)', maxEventAge: Duration.hours(1) },
] as const;

/**
 * The outbox drain (issue 23): every minute the worker delivers the committed events an API function could not send
 * before it was frozen (job sends), sends the due emails and starts the daily digests whose local time has come.
 */
export const OUTBOX_DRAIN = { id: 'OutboxDrain', input: { source: 'daycare.outbox' }, expression: 'rate(1 minute)', maxEventAge: Duration.minutes(1) } as const;

export const API_TIMEOUT = Duration.seconds(29); // under the HTTP API's 30 s integration limit
export const WORKER_TIMEOUT = Duration.minutes(5);
export const MIGRATE_TIMEOUT = Duration.minutes(5);

export class DaycareStack extends Stack {
  readonly config: DaycareConfig;
  readonly apiFunction: lambda.Function;
  readonly workerFunction: lambda.Function;
  readonly migrateFunction: lambda.Function;
  readonly httpApi: apigwv2.HttpApi;
  readonly bucket: s3.Bucket;
  readonly jobsQueue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly network?: CacheNetwork;

  constructor(scope: Construct, id: string, props: DaycareStackProps = {}) {
    super(scope, id, {
      description: 'Daycare SaaS backend: HTTP API + Lambda, SQS jobs, EventBridge Scheduler, S3 files, Redis cache',
      ...props,
    });
    const config = (this.config = readConfig(this.node, props.config));
    const code = lambda.Code.fromAsset(props.lambdaDir ?? DEFAULT_LAMBDA_DIR);

    // ---------------------------------------------------------------- secrets (values never in the template or env)
    const databaseUrlSecret: secretsmanager.ISecret = config.databaseUrlSecretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'DatabaseUrlSecret', config.databaseUrlSecretArn)
      : new secretsmanager.Secret(this, 'DatabaseUrlSecret', {
          description:
            'Daycare DATABASE_URL: the full postgres:// URL (Supabase pooler in transaction mode on port 6543, or RDS Proxy). ' +
            'Set with `aws secretsmanager put-secret-value`.',
          removalPolicy: RemovalPolicy.RETAIN,
        });

    const sessionSecret = new secretsmanager.Secret(this, 'SessionSecret', {
      description: 'Daycare SESSION_SECRET: signs the service access tokens and CSRF tokens',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });

    const supabaseJwtSecret = config.supabaseJwtSecret
      ? new secretsmanager.Secret(this, 'SupabaseJwtSecret', {
          description: 'Daycare SUPABASE_JWT_SECRET: the legacy HS256 JWT secret of the Supabase project (set it by hand)',
        })
      : undefined;

    // Online payments (PAYMENTS_PROVIDER=stripe; production refuses the fake): the API key and the webhook endpoint's
    // signing secret, both set by hand (`aws secretsmanager put-secret-value`).
    const stripeSecretKey = new secretsmanager.Secret(this, 'StripeSecretKey', {
      description: 'Daycare STRIPE_SECRET_KEY: the Stripe API secret key (set it by hand)',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const stripeWebhookSecret = new secretsmanager.Secret(this, 'StripeWebhookSecret', {
      description: 'Daycare STRIPE_WEBHOOK_SECRET: the signing secret (whsec_…) of the POST /webhooks/payments/stripe endpoint (set it by hand)',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const redisUrlSecret =
      config.cache === 'upstash'
        ? new secretsmanager.Secret(this, 'RedisUrlSecret', {
            description: 'Daycare REDIS_URL: the rediss:// URL of the Upstash database, with its password (set it by hand)',
            removalPolicy: RemovalPolicy.RETAIN,
          })
        : undefined;

    // ---------------------------------------------------------------- files
    this.bucket = new s3.Bucket(this, 'FilesBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      removalPolicy: RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
      cors:
        config.appOrigins.length > 0
          ? [
              {
                allowedOrigins: config.appOrigins,
                allowedMethods: [s3.HttpMethods.POST, s3.HttpMethods.GET, s3.HttpMethods.PUT, s3.HttpMethods.HEAD],
                allowedHeaders: ['*'],
                exposedHeaders: ['ETag'],
                maxAge: 3000,
              },
            ]
          : undefined,
      lifecycleRules: [
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        {
          // The app tags every presigned upload `state=pending` and deletes the tag once the upload is confirmed,
          // so uploads that were never confirmed disappear after 2 days.
          id: 'expire-unconfirmed-uploads',
          prefix: TENANT_PREFIX,
          tagFilters: { state: 'pending' },
          expiration: Duration.days(2),
        },
      ],
    });
    const tenantObjectsArn = this.bucket.arnForObjects(`${TENANT_PREFIX}*`);

    // ---------------------------------------------------------------- jobs
    this.deadLetterQueue = new sqs.Queue(this, 'JobsDeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.jobsQueue = new sqs.Queue(this, 'JobsQueue', {
      visibilityTimeout: Duration.seconds(WORKER_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });

    // ---------------------------------------------------------------- cache + network
    let vpcProps: Pick<lambda.FunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'> = {};
    let redisUrl: string | undefined;
    if (config.cache === 'elasticache') {
      const network = (this.network = new CacheNetwork(this, 'Network'));
      vpcProps = {
        vpc: network.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [network.functionSecurityGroup],
      };
      redisUrl = network.redisUrl;
    }

    // ---------------------------------------------------------------- functions
    const environment: Record<string, string> = {
      NODE_ENV: 'production',
      NODE_OPTIONS: '--enable-source-maps',
      S3_BUCKET: this.bucket.bucketName,
      JOBS_QUEUE_URL: this.jobsQueue.queueUrl,
      DATABASE_URL_SECRET_ARN: databaseUrlSecret.secretArn,
      SESSION_SECRET_ARN: sessionSecret.secretArn,
      PAYMENTS_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY_SECRET_ARN: stripeSecretKey.secretArn,
      STRIPE_WEBHOOK_SECRET_ARN: stripeWebhookSecret.secretArn,
    };
    if (config.appOrigins.length > 0) environment.APP_ORIGINS = config.appOrigins.join(',');
    // Emails go through SES (production refuses to start without a real transport).
    environment.EMAIL_TRANSPORT = 'ses';
    if (config.emailFrom) environment.EMAIL_FROM = config.emailFrom;
    if (config.appUrl) environment.APP_URL = config.appUrl;
    if (config.supabaseUrl) environment.SUPABASE_URL = config.supabaseUrl;
    if (supabaseJwtSecret) environment.SUPABASE_JWT_SECRET_ARN = supabaseJwtSecret.secretArn;
    if (redisUrl) environment.REDIS_URL = redisUrl;
    if (redisUrlSecret) environment.REDIS_URL_SECRET_ARN = redisUrlSecret.secretArn;
    // Telemetry (src/core/telemetry.ts): metrics as EMF log lines; with the ADOT collector layer, spans over OTLP to
    // it (it forwards them to X-Ray). Each invocation flushes before it returns.
    if (config.telemetry !== 'off') {
      environment.OTEL_SERVICE_NAME = 'daycare';
      environment.OTEL_METRICS_EXPORTER = 'awsemf';
    }
    if (config.telemetry === 'adot') environment.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://localhost:4318';
    const telemetryProps: Partial<lambda.FunctionProps> =
      config.telemetry === 'adot' && config.adotLayerArn
        ? { layers: [lambda.LayerVersion.fromLayerVersionArn(this, 'AdotCollectorLayer', config.adotLayerArn)], tracing: lambda.Tracing.ACTIVE }
        : {};

    const makeFunction = (
      name: 'Api' | 'Worker' | 'Migrate',
      extra: Pick<lambda.FunctionProps, 'handler' | 'memorySize' | 'timeout' | 'description' | 'reservedConcurrentExecutions'>,
      env: Record<string, string>,
    ): lambda.Function => {
      const logGroup = new logs.LogGroup(this, `${name}LogGroup`, {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      return new lambda.Function(this, name, {
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        code,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        environment: env,
        ...vpcProps,
        ...(name === 'Migrate' ? {} : telemetryProps),
        ...extra,
      });
    };

    this.apiFunction = makeFunction(
      'Api',
      {
        handler: 'api.handler',
        description: 'Daycare HTTP API (Hono behind API Gateway HTTP API, payload 2.0)',
        memorySize: 1024,
        timeout: API_TIMEOUT,
        reservedConcurrentExecutions: config.apiReservedConcurrency,
      },
      environment,
    );
    this.workerFunction = makeFunction(
      'Worker',
      {
        handler: 'worker.handler',
        description: 'Daycare jobs worker (SQS batches) and scheduled tasks (EventBridge Scheduler)',
        memorySize: 1024,
        timeout: WORKER_TIMEOUT,
      },
      environment,
    );
    // Migrations need the database URL only.
    this.migrateFunction = makeFunction(
      'Migrate',
      {
        handler: 'migrate.handler',
        description: 'Daycare database migrations (drizzle SQL files under migrations/), run once per deploy',
        memorySize: 512,
        timeout: MIGRATE_TIMEOUT,
      },
      {
        NODE_ENV: 'production',
        NODE_OPTIONS: '--enable-source-maps',
        DATABASE_URL_SECRET_ARN: databaseUrlSecret.secretArn,
      },
    );

    // Secrets: secretsmanager:GetSecretValue (+ DescribeSecret) on exactly the secrets each function references.
    for (const fn of [this.apiFunction, this.workerFunction]) {
      databaseUrlSecret.grantRead(fn);
      sessionSecret.grantRead(fn);
      stripeSecretKey.grantRead(fn);
      stripeWebhookSecret.grantRead(fn);
      supabaseJwtSecret?.grantRead(fn);
      redisUrlSecret?.grantRead(fn);
    }
    databaseUrlSecret.grantRead(this.migrateFunction);

    // S3: objects under tenants/* only — no bucket-wide grant.
    // PutObjectTagging is needed to upload with the `state=pending` tag, DeleteObjectTagging to confirm an upload.
    this.apiFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'TenantObjects',
        actions: ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging', 's3:DeleteObjectTagging'],
        resources: [tenantObjectsArn],
      }),
    );
    this.workerFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'TenantObjects',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [tenantObjectsArn],
      }),
    );

    // SES: send as the configured sender's domain identity only (every identity of the account when none is named).
    // Both functions send: the API drains what its own requests committed, the worker the rest (the outbox drain).
    const sesIdentity = this.formatArn({ service: 'ses', resource: 'identity', resourceName: config.emailFrom ? config.emailFrom.split('@')[1]! : '*' });
    for (const fn of [this.apiFunction, this.workerFunction])
      fn.addToRolePolicy(new iam.PolicyStatement({ sid: 'SendEmail', actions: ['ses:SendEmail'], resources: [sesIdentity] }));

    // SQS: the API only sends; the worker consumes and re-enqueues (delayed retries).
    this.jobsQueue.grantSendMessages(this.apiFunction);
    this.jobsQueue.grantConsumeMessages(this.workerFunction);
    this.jobsQueue.grantSendMessages(this.workerFunction);
    this.workerFunction.addEventSource(
      new SqsEventSource(this.jobsQueue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: config.workerMaxConcurrency,
      }),
    );

    // ---------------------------------------------------------------- HTTP API
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'Daycare API',
      // CORS is the app's job (credentials + an exact origin allow-list), so the gateway adds none.
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('ApiIntegration', this.apiFunction, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    const accessLogs = new logs.LogGroup(this, 'HttpApiAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stage = new apigwv2.HttpStage(this, 'HttpApiDefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      // A coarse backstop for the whole API; per-client limits are the app's (Redis counters).
      throttle: { rateLimit: config.apiThrottleRate, burstLimit: config.apiThrottleBurst },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: accessLogFormat(),
      },
    });

    // ---------------------------------------------------------------- EventBridge Scheduler → Worker
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: 'EventBridge Scheduler: invoke the Worker function (and write failed invocations to the DLQ)',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    });
    for (const t of SCHEDULED_TASKS) {
      new scheduler.Schedule(this, `${t.id}Schedule`, {
        description: `Daycare: ${t.task}`,
        schedule: scheduler.ScheduleExpression.expression(t.expression, TimeZone.ETC_UTC),
        timeWindow: scheduler.TimeWindow.off(),
        target: new schedulerTargets.LambdaInvoke(this.workerFunction, {
          role: schedulerRole,
          input: scheduler.ScheduleTargetInput.fromObject({ source: 'daycare.scheduler', task: t.task }),
          retryAttempts: 3,
          maxEventAge: t.maxEventAge,
          deadLetterQueue: this.deadLetterQueue,
        }),
      });
    }
    new scheduler.Schedule(this, `${OUTBOX_DRAIN.id}Schedule`, {
      description: 'Daycare: outbox drain, due emails and digests',
      schedule: scheduler.ScheduleExpression.expression(OUTBOX_DRAIN.expression, TimeZone.ETC_UTC),
      timeWindow: scheduler.TimeWindow.off(),
      target: new schedulerTargets.LambdaInvoke(this.workerFunction, {
        role: schedulerRole,
        input: scheduler.ScheduleTargetInput.fromObject(OUTBOX_DRAIN.input),
        // A missed minute is covered by the next one: no retries, no dead letters for it.
        retryAttempts: 0,
        maxEventAge: OUTBOX_DRAIN.maxEventAge,
      }),
    });

    // ---------------------------------------------------------------- migrations on deploy
    if (config.migrateOnDeploy) {
      const trigger = new triggers.Trigger(this, 'MigrateOnDeploy', {
        handler: this.migrateFunction,
        invocationType: triggers.InvocationType.REQUEST_RESPONSE,
        timeout: MIGRATE_TIMEOUT.plus(Duration.minutes(1)),
        // Runs again whenever the Migrate function changes, i.e. whenever the code bundle (and its migrations) change.
        executeOnHandlerChange: true,
        executeAfter: [this.migrateFunction],
      });
      // Expand-then-contract: the schema is migrated before the new API and worker code goes live.
      trigger.executeBefore(this.apiFunction, this.workerFunction);
    }

    // ---------------------------------------------------------------- alarms
    const alarms = new DaycareAlarms(this, 'Alarms', {
      api: this.apiFunction,
      worker: this.workerFunction,
      httpApi: this.httpApi,
      jobsQueue: this.jobsQueue,
      deadLetterQueue: this.deadLetterQueue,
      alarmEmail: config.alarmEmail,
    });

    // ---------------------------------------------------------------- outputs
    new CfnOutput(this, 'ApiUrl', { value: stage.url, description: 'Base URL of the HTTP API (point the frontend here)' });
    new CfnOutput(this, 'FilesBucketName', { value: this.bucket.bucketName });
    new CfnOutput(this, 'JobsQueueUrl', { value: this.jobsQueue.queueUrl });
    new CfnOutput(this, 'JobsDeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'ApiFunctionName', { value: this.apiFunction.functionName });
    new CfnOutput(this, 'WorkerFunctionName', { value: this.workerFunction.functionName });
    new CfnOutput(this, 'MigrateFunctionName', {
      value: this.migrateFunction.functionName,
      description: 'aws lambda invoke --function-name <this> out.json',
    });
    new CfnOutput(this, 'DatabaseUrlSecretArn', { value: databaseUrlSecret.secretArn });
    new CfnOutput(this, 'SessionSecretArn', { value: sessionSecret.secretArn });
    if (supabaseJwtSecret) new CfnOutput(this, 'SupabaseJwtSecretArn', { value: supabaseJwtSecret.secretArn });
    if (redisUrlSecret) new CfnOutput(this, 'RedisUrlSecretArn', { value: redisUrlSecret.secretArn });
    if (this.network) new CfnOutput(this, 'CacheEndpoint', { value: this.network.redisUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topic.topicArn });
  }
}

/** JSON access log lines: enough to tell gateway-made answers (413/429/504) from the app's, no bodies, no cookies. */
function accessLogFormat(): AccessLogFormat {
  // HttpStage takes the REST API's AccessLogFormat type; `custom` is the form that suits HTTP APIs.
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      requestTime: '$context.requestTime',
      method: '$context.httpMethod',
      path: '$context.path',
      status: '$context.status',
      responseLength: '$context.responseLength',
      latencyMs: '$context.responseLatency',
      integrationStatus: '$context.integrationStatus',
      integrationLatencyMs: '$context.integrationLatency',
      integrationError: '$context.integrationErrorMessage',
      error: '$context.error.message',
      userAgent: '$context.identity.userAgent',
    }),
  );
}
