import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULED_TASKS } from '../lib/daycare-stack.js';
import {
  ALLOWED_STAR_ACTIONS,
  allStatements,
  asArray,
  getAttArn,
  logicalId,
  oldNodeRuntimes,
  removeStubLambdaDir,
  resourcesOfType,
  statementsOfRole,
  starResourceStatements,
  synth,
  type Statement,
  type Synthesized,
} from './helpers.js';

/** Default deployment: cache=elasticache, two app origins, a Supabase URL. */
let s: Synthesized;
let ids: { api: string; worker: string; migrate: string; queue: string; dlq: string; bucket: string };

beforeAll(() => {
  s = synth({
    context: {
      appOrigins: 'https://app.example.com,https://admin.example.com',
      supabaseUrl: 'https://xyz.supabase.co',
    },
  });
  ids = {
    api: logicalId(s.stack.apiFunction),
    worker: logicalId(s.stack.workerFunction),
    migrate: logicalId(s.stack.migrateFunction),
    queue: logicalId(s.stack.jobsQueue),
    dlq: logicalId(s.stack.deadLetterQueue),
    bucket: logicalId(s.stack.bucket),
  };
});
afterAll(removeStubLambdaDir);

const fn = (id: string) => s.json.Resources[id]!.Properties;
const roleOf = (fnId: string): string => fn(fnId).Role['Fn::GetAtt'][0];
const actionsOf = (st: Statement) => asArray(st.Action);

describe('synthesis', () => {
  it('needs no context lookups (no fromLookup, no AWS account at synth time)', () => {
    expect(s.missingContext).toEqual([]);
    expect(s.stack.account).toMatch(/^\$\{Token\[AWS\.AccountId/);
    expect(s.stack.region).toMatch(/^\$\{Token\[AWS\.Region/);
  });

  it('has no error or warning annotations', () => {
    s.annotations.hasNoError('*', Match.anyValue());
    s.annotations.hasNoWarning('*', Match.anyValue());
  });
});

describe('lambda functions', () => {
  it('defines Api, Worker and Migrate on nodejs22.x, arm64, JSON logging, with their handlers', () => {
    const expected: Record<string, string> = { [ids.api]: 'api.handler', [ids.worker]: 'worker.handler', [ids.migrate]: 'migrate.handler' };
    for (const [id, handler] of Object.entries(expected)) {
      const p = fn(id);
      expect(p.Handler, id).toBe(handler);
      expect(p.Runtime, id).toBe('nodejs22.x');
      expect(p.Architectures, id).toEqual(['arm64']);
      expect(p.LoggingConfig.LogFormat, id).toBe('JSON');
    }
    // The app's three functions are the only ones apart from CDK's own custom-resource providers.
    const appFunctions = resourcesOfType(s.json, 'AWS::Lambda::Function').filter(([, r]) => !String(r.Properties.Handler).startsWith('__entrypoint__'));
    expect(appFunctions.map(([id]) => id).sort()).toEqual(Object.keys(expected).sort());
  });

  it('no function in the template runs on a Node.js runtime older than 22 (nodejs20.x can no longer be deployed)', () => {
    expect(resourcesOfType(s.json, 'AWS::Lambda::Function').length).toBeGreaterThanOrEqual(3);
    // Covers CDK's own custom-resource providers (trigger, default SG restriction) too.
    expect(oldNodeRuntimes(s.json)).toEqual([]);
  });

  it('sets timeouts (api 29 s under the gateway 30 s, worker and migrate 5 min) and api memory 1024', () => {
    expect(fn(ids.api).Timeout).toBe(29);
    expect(fn(ids.api).Timeout).toBeLessThan(30);
    expect(fn(ids.api).MemorySize).toBe(1024);
    expect(fn(ids.worker).Timeout).toBe(300);
    expect(fn(ids.migrate).Timeout).toBe(300);
  });

  it('gives every function its own log group with a retention', () => {
    for (const id of [ids.api, ids.worker, ids.migrate]) {
      const lg = fn(id).LoggingConfig.LogGroup.Ref as string;
      expect(s.json.Resources[lg]!.Type).toBe('AWS::Logs::LogGroup');
      expect(s.json.Resources[lg]!.Properties.RetentionInDays).toBe(30);
    }
  });

  it('passes configuration as plain env vars and secrets only as *_SECRET_ARN references', () => {
    for (const id of [ids.api, ids.worker]) {
      const env = fn(id).Environment.Variables as Record<string, unknown>;
      expect(env.NODE_ENV).toBe('production');
      expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
      expect(env.S3_BUCKET).toEqual({ Ref: ids.bucket });
      expect(env.JOBS_QUEUE_URL).toEqual({ Ref: ids.queue });
      expect(env.APP_ORIGINS).toBe('https://app.example.com,https://admin.example.com');
      expect(env.SUPABASE_URL).toBe('https://xyz.supabase.co');
      expect(env.EMAIL_TRANSPORT).toBe('ses');
      expect(env.DATABASE_URL_SECRET_ARN).toEqual({ Ref: logicalId(s.stack.node.findChild('DatabaseUrlSecret')) });
      expect(env.SESSION_SECRET_ARN).toEqual({ Ref: logicalId(s.stack.node.findChild('SessionSecret')) });
      expect(env.REDIS_URL).toEqual({
        'Fn::Join': ['', ['rediss://', { 'Fn::GetAtt': [expect.any(String), 'Endpoint.Address'] }, ':', { 'Fn::GetAtt': [expect.any(String), 'Endpoint.Port'] }]],
      });
    }
  });

  it('puts no secret value in any environment variable', () => {
    const forbidden = ['DATABASE_URL', 'SESSION_SECRET', 'SUPABASE_JWT_SECRET', 'REDIS_PASSWORD'];
    for (const [id, r] of resourcesOfType(s.json, 'AWS::Lambda::Function')) {
      const env = (r.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
      for (const key of forbidden) expect(env, `${id} has ${key}`).not.toHaveProperty(key);
      for (const [k, v] of Object.entries(env)) {
        if (k.endsWith('_SECRET_ARN')) {
          // A reference to a secret resource (or an imported ARN), never a value.
          expect(typeof v === 'object' || /^arn:aws[a-z-]*:secretsmanager:/.test(String(v)), `${id}.${k}`).toBe(true);
        }
        // No resolved secret value ({{resolve:secretsmanager:...}}) either.
        expect(JSON.stringify(v), `${id}.${k}`).not.toMatch(/resolve:secretsmanager/);
      }
    }
  });

  it('the migrate function gets only the database URL secret', () => {
    const env = fn(ids.migrate).Environment.Variables as Record<string, unknown>;
    expect(Object.keys(env).sort()).toEqual(['DATABASE_URL_SECRET_ARN', 'NODE_ENV', 'NODE_OPTIONS']);
  });
});

describe('secrets', () => {
  it('creates the database URL secret, a generated 64-character session secret and the two Stripe secrets (set by hand)', () => {
    s.template.resourceCountIs('AWS::SecretsManager::Secret', 4);
    s.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
  });

  it('grants GetSecretValue on exactly the referenced secrets', () => {
    const secretRefs = (roleId: string) =>
      statementsOfRole(s.json, roleId)
        .filter((st) => actionsOf(st).includes('secretsmanager:GetSecretValue'))
        .flatMap((st) => asArray(st.Resource))
        .map((r: any) => r.Ref)
        .sort();
    const db = logicalId(s.stack.node.findChild('DatabaseUrlSecret'));
    const session = logicalId(s.stack.node.findChild('SessionSecret'));
    const stripe = ['StripeSecretKey', 'StripeWebhookSecret'].map((n) => logicalId(s.stack.node.findChild(n)));
    expect(secretRefs(roleOf(ids.api))).toEqual([db, session, ...stripe].sort());
    expect(secretRefs(roleOf(ids.worker))).toEqual([db, session, ...stripe].sort());
    expect(secretRefs(roleOf(ids.migrate))).toEqual([db]);
  });
});

describe('jobs queue', () => {
  it('redrives to the dead-letter queue after 5 receives; the DLQ keeps messages 14 days', () => {
    const q = s.json.Resources[ids.queue]!.Properties;
    expect(q.RedrivePolicy).toEqual({ deadLetterTargetArn: getAttArn(ids.dlq), maxReceiveCount: 5 });
    expect(s.json.Resources[ids.dlq]!.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(q.SqsManagedSseEnabled).toBe(true);
    expect(s.json.Resources[ids.dlq]!.Properties.SqsManagedSseEnabled).toBe(true);
  });

  it('has a visibility timeout of at least 6 x the worker timeout (read from the template)', () => {
    const visibility = s.json.Resources[ids.queue]!.Properties.VisibilityTimeout as number;
    const workerTimeout = fn(ids.worker).Timeout as number;
    expect(typeof visibility).toBe('number');
    expect(typeof workerTimeout).toBe('number');
    expect(visibility).toBeGreaterThanOrEqual(6 * workerTimeout);
  });

  it('feeds the worker with partial batch failures and a maximum concurrency', () => {
    const esms = resourcesOfType(s.json, 'AWS::Lambda::EventSourceMapping');
    expect(esms).toHaveLength(1);
    const p = esms[0]![1].Properties;
    expect(p.FunctionName).toEqual({ Ref: ids.worker });
    expect(p.EventSourceArn).toEqual(getAttArn(ids.queue));
    expect(p.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(p.BatchSize).toBe(10);
    expect(p.ScalingConfig.MaximumConcurrency).toBe(5);
  });
});

describe('scheduler', () => {
  it('has the four task schedules and the one-minute outbox drain, invoking the worker with the exact input JSON', () => {
    const schedules = resourcesOfType(s.json, 'AWS::Scheduler::Schedule').map(([, r]) => r.Properties);
    expect(schedules).toHaveLength(5);
    const byInput = new Map(schedules.map((p) => [p.Target.Input as string, p]));
    const expected: [string, string][] = [
      ['{"source":"daycare.scheduler","task":"attendance.rollup"}', 'cron(15 * * * ? *)'],
      ['{"source":"daycare.scheduler","task":"attendance.reminders"}', 'rate(15 minutes)'],
      ['{"source":"daycare.scheduler","task":"incidents.reminders"}', 'cron(30 * * * ? *)'],
      ['{"source":"daycare.scheduler","task":"cleanup"}', 'rate(1 hour)'],
    ];
    expect(SCHEDULED_TASKS).toHaveLength(4);
    for (const [input, expression] of expected) {
      const p = byInput.get(input);
      expect(p, input).toBeDefined();
      expect(p.ScheduleExpression).toBe(expression);
      expect(p.ScheduleExpressionTimezone).toBe('Etc/UTC');
      expect(p.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
      expect(p.State).toBe('ENABLED');
      expect(p.Target.Arn).toEqual(getAttArn(ids.worker));
      expect(p.Target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
      expect(p.Target.DeadLetterConfig).toEqual({ Arn: getAttArn(ids.dlq) });
    }
    const drain = byInput.get('{"source":"daycare.outbox"}');
    expect(drain.ScheduleExpression).toBe('rate(1 minute)');
    expect(drain.Target.Arn).toEqual(getAttArn(ids.worker));
    expect(drain.Target.RetryPolicy.MaximumRetryAttempts).toBe(0);
  });

  it('uses a dedicated role that may only invoke the worker (and write to the DLQ)', () => {
    const schedules = resourcesOfType(s.json, 'AWS::Scheduler::Schedule').map(([, r]) => r.Properties);
    const roleIds = new Set(schedules.map((p) => p.Target.RoleArn['Fn::GetAtt'][0] as string));
    expect(roleIds.size).toBe(1);
    const roleId = [...roleIds][0]!;
    const role = s.json.Resources[roleId]!.Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole' }),
    ]);
    expect(role.ManagedPolicyArns).toBeUndefined();
    for (const st of statementsOfRole(s.json, roleId)) {
      const actions = actionsOf(st);
      if (actions.includes('lambda:InvokeFunction')) {
        expect(actions).toEqual(['lambda:InvokeFunction']);
        for (const r of asArray<any>(st.Resource)) {
          // The worker's ARN, or its qualified ARNs (versions/aliases) — nothing else.
          expect(JSON.stringify(r)).toContain(JSON.stringify(getAttArn(ids.worker)));
        }
      } else {
        expect(actions).toEqual(['sqs:SendMessage']);
        expect(st.Resource).toEqual(getAttArn(ids.dlq));
      }
    }
  });
});

describe('files bucket', () => {
  it('blocks all public access, encrypts, and is retained', () => {
    const [[, bucket]] = resourcesOfType(s.json, 'AWS::S3::Bucket') as [[string, any]];
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toMatch(
      /^(AES256|aws:kms)$/,
    );
    expect(bucket.DeletionPolicy).toBe('Retain');
  });

  it('aborts incomplete multipart uploads after 1 day and expires unconfirmed (state=pending) uploads after 2 days', () => {
    const rules = s.json.Resources[ids.bucket]!.Properties.LifecycleConfiguration.Rules as any[];
    expect(rules).toContainEqual(expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }));
    expect(rules).toContainEqual(
      expect.objectContaining({
        ExpirationInDays: 2,
        Prefix: 'tenants/',
        TagFilters: [{ Key: 'state', Value: 'pending' }],
        Status: 'Enabled',
      }),
    );
  });

  it('denies every request that is not over TLS', () => {
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ids.bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('allows browser uploads (POST/PUT) and downloads (GET/HEAD) from the app origins only', () => {
    const cors = s.json.Resources[ids.bucket]!.Properties.CorsConfiguration.CorsRules as any[];
    expect(cors).toHaveLength(1);
    expect(cors[0].AllowedOrigins).toEqual(['https://app.example.com', 'https://admin.example.com']);
    expect([...cors[0].AllowedMethods].sort()).toEqual(['GET', 'HEAD', 'POST', 'PUT']);
  });
});

describe('IAM least privilege', () => {
  it('no policy statement has Resource "*"', () => {
    // ALLOWED_STAR_ACTIONS is empty: see its comment in helpers.ts.
    expect(ALLOWED_STAR_ACTIONS.size).toBe(0);
    expect(starResourceStatements(s.json)).toEqual([]);
    expect(allStatements(s.json).length).toBeGreaterThan(10);
  });

  it('no Allow statement grants a service-wide or global action wildcard', () => {
    const offenders = allStatements(s.json)
      .filter(({ statement }) => statement.Effect === 'Allow')
      .filter(({ statement }) => actionsOf(statement).some((a) => a === '*' || a.endsWith(':*')))
      .map(({ where, statement }) => `${where}: ${JSON.stringify(statement.Action)}`);
    expect(offenders).toEqual([]);
  });

  it('attaches only the two Lambda execution managed policies', () => {
    const arns = resourcesOfType(s.json, 'AWS::IAM::Role')
      .flatMap(([, r]) => asArray<any>(r.Properties.ManagedPolicyArns))
      .map((a) => JSON.stringify(a));
    expect(arns.length).toBeGreaterThan(0);
    for (const a of arns) expect(a).toMatch(/:iam::aws:policy\/service-role\/(AWSLambdaBasicExecutionRole|AWSLambdaVPCAccessExecutionRole)"/);
  });

  it("scopes the API's S3 access to objects under tenants/*", () => {
    const s3Statements = statementsOfRole(s.json, roleOf(ids.api)).filter((st) => actionsOf(st).some((a) => a.startsWith('s3:')));
    expect(s3Statements.length).toBeGreaterThan(0);
    const actions = s3Statements.flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['s3:GetObject', 's3:PutObject']));
    expect(actions).not.toContain('s3:DeleteObject');
    expect(actions).not.toContain('s3:ListBucket');
    for (const st of s3Statements) {
      for (const r of asArray(st.Resource)) {
        expect(r).toEqual({ 'Fn::Join': ['', [getAttArn(ids.bucket), '/tenants/*']] });
      }
    }
  });

  it("scopes the worker's S3 access to objects under tenants/*", () => {
    const s3Statements = statementsOfRole(s.json, roleOf(ids.worker)).filter((st) => actionsOf(st).some((a) => a.startsWith('s3:')));
    expect(s3Statements.flatMap(actionsOf).sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    for (const st of s3Statements) {
      for (const r of asArray(st.Resource)) expect(r).toEqual({ 'Fn::Join': ['', [getAttArn(ids.bucket), '/tenants/*']] });
    }
  });

  it('lets the API only send messages, and only to the jobs queue', () => {
    const sqsStatements = statementsOfRole(s.json, roleOf(ids.api)).filter((st) => actionsOf(st).some((a) => a.startsWith('sqs:')));
    expect(sqsStatements).toHaveLength(1);
    const actions = actionsOf(sqsStatements[0]!);
    expect(actions).toContain('sqs:SendMessage');
    // grantSendMessages adds the two read-only metadata calls the SDK may use; nothing that consumes or deletes.
    for (const a of actions) expect(['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl']).toContain(a);
    expect(sqsStatements[0]!.Resource).toEqual(getAttArn(ids.queue));
  });

  it('lets the worker consume and re-enqueue jobs', () => {
    const actions = statementsOfRole(s.json, roleOf(ids.worker))
      .filter((st) => JSON.stringify(st.Resource) === JSON.stringify(getAttArn(ids.queue)))
      .flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:SendMessage']));
  });

  it('lets both functions send email through SES, as the configured sender domain only', () => {
    const scoped = synth({ config: { emailFrom: 'hello@mail.example.com', appUrl: 'https://app.example.com' } });
    const roleOfIn = (json: typeof scoped.json, id: string) => json.Resources[id]!.Properties.Role['Fn::GetAtt'][0] as string;
    const fnIds = resourcesOfType(scoped.json, 'AWS::Lambda::Function').filter(([, r]) => /^(api|worker)\./.test(r.Properties.Handler));
    expect(fnIds).toHaveLength(2);
    for (const [id, r] of fnIds) {
      const ses = statementsOfRole(scoped.json, roleOfIn(scoped.json, id)).filter((st) => actionsOf(st).some((a) => a.startsWith('ses:')));
      expect(ses).toHaveLength(1);
      expect(actionsOf(ses[0]!)).toEqual(['ses:SendEmail']);
      expect(JSON.stringify(ses[0]!.Resource)).toMatch(/:identity\/mail\.example\.com"/);
      expect(r.Properties.Environment.Variables).toMatchObject({ EMAIL_TRANSPORT: 'ses', EMAIL_FROM: 'hello@mail.example.com', APP_URL: 'https://app.example.com' });
    }
  });

  it('lets API Gateway invoke only the Api function, from this API', () => {
    const perms = resourcesOfType(s.json, 'AWS::Lambda::Permission').map(([, r]) => r.Properties);
    const apigw = perms.filter((p) => p.Principal === 'apigateway.amazonaws.com');
    expect(apigw).toHaveLength(1);
    expect(apigw[0].FunctionName).toEqual(getAttArn(ids.api));
    expect(JSON.stringify(apigw[0].SourceArn)).toContain(logicalId(s.stack.httpApi));
  });
});

describe('cache (elasticache mode)', () => {
  it('creates a Valkey serverless cache in the private subnets behind its own security group', () => {
    const caches = resourcesOfType(s.json, 'AWS::ElastiCache::ServerlessCache');
    expect(caches).toHaveLength(1);
    const p = caches[0]![1].Properties;
    expect(['valkey', 'redis']).toContain(p.Engine);
    expect(p.MajorEngineVersion).toMatch(/^\d+$/);
    expect(p.SubnetIds).toHaveLength(2);
    expect(p.SecurityGroupIds).toHaveLength(1);
    s.template.resourceCountIs('AWS::EC2::VPC', 1);
    s.template.resourceCountIs('AWS::EC2::NatGateway', 1);
    s.template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', ServiceName: Match.anyValue() });
  });

  it('opens the cache to the functions security group on 6379 only', () => {
    const cacheSgId = resourcesOfType(s.json, 'AWS::ElastiCache::ServerlessCache')[0]![1].Properties.SecurityGroupIds[0]['Fn::GetAtt'][0];
    const fnSgIds = new Set(
      [ids.api, ids.worker, ids.migrate].flatMap((id) => fn(id).VpcConfig.SecurityGroupIds.map((g: any) => g['Fn::GetAtt'][0] as string)),
    );
    expect(fnSgIds.size).toBe(1);
    const fnSgId = [...fnSgIds][0]!;
    const ingress = [
      ...resourcesOfType(s.json, 'AWS::EC2::SecurityGroupIngress')
        .map(([, r]) => r.Properties)
        .filter((p) => p.GroupId?.['Fn::GetAtt']?.[0] === cacheSgId),
      ...asArray<any>(s.json.Resources[cacheSgId]!.Properties.SecurityGroupIngress),
    ];
    expect(ingress).toHaveLength(1);
    expect(ingress[0]).toMatchObject({
      IpProtocol: 'tcp',
      FromPort: 6379,
      ToPort: 6379,
      SourceSecurityGroupId: { 'Fn::GetAtt': [fnSgId, 'GroupId'] },
    });
    expect(ingress[0].CidrIp).toBeUndefined();
  });

  it('places all three functions in the private subnets', () => {
    for (const id of [ids.api, ids.worker, ids.migrate]) {
      const subnets = fn(id).VpcConfig.SubnetIds.map((r: any) => r.Ref as string);
      expect(subnets).toHaveLength(2);
      for (const sn of subnets) expect(sn).toMatch(/private/i);
    }
  });
});

describe('HTTP API', () => {
  it('routes $default to the Api function with payload format 2.0', () => {
    const integrations = resourcesOfType(s.json, 'AWS::ApiGatewayV2::Integration');
    expect(integrations).toHaveLength(1);
    const [integrationId, integration] = integrations[0]!;
    expect(integration.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: getAttArn(ids.api),
      PayloadFormatVersion: '2.0',
    });
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: '$default',
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
    });
  });

  it('has a $default stage with throttling, access logs, and no gateway CORS', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: Match.anyValue(), ThrottlingRateLimit: Match.anyValue() },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('status') },
    });
    const [[, api]] = resourcesOfType(s.json, 'AWS::ApiGatewayV2::Api') as [[string, any]];
    expect(api.Properties.ProtocolType).toBe('HTTP');
    expect(api.Properties.CorsConfiguration).toBeUndefined();
  });

  it('outputs the API URL', () => {
    expect(s.json.Outputs?.ApiUrl).toBeDefined();
    expect(JSON.stringify(s.json.Outputs!.ApiUrl.Value)).toContain('execute-api');
  });
});

describe('migrations on deploy', () => {
  it('runs the Migrate function through a trigger before the Api and Worker are updated', () => {
    const triggers = resourcesOfType(s.json, 'Custom::Trigger');
    expect(triggers).toHaveLength(1);
    const [triggerId, trigger] = triggers[0]!;
    expect(trigger.Properties.InvocationType).toBe('RequestResponse');
    expect(JSON.stringify(trigger.Properties.HandlerArn)).toContain('MigrateCurrentVersion');
    expect(Number(trigger.Properties.Timeout)).toBeGreaterThan(300_000);
    expect(asArray(trigger.DependsOn)).toContain(ids.migrate);
    expect(asArray(s.json.Resources[ids.api]!.DependsOn)).toContain(triggerId);
    expect(asArray(s.json.Resources[ids.worker]!.DependsOn)).toContain(triggerId);
  });
});

describe('alarms', () => {
  it('alarms on API errors and throttles, worker errors and throttles, DLQ depth, backlog age and HTTP 5xx', () => {
    const alarms = resourcesOfType(s.json, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    expect(alarms).toHaveLength(7);
    const find = (metric: string, namespace: string, dim?: string) =>
      alarms.filter((a) => a.MetricName === metric && a.Namespace === namespace && (!dim || JSON.stringify(a.Dimensions).includes(dim)));
    expect(find('Errors', 'AWS/Lambda', ids.api)).toHaveLength(1);
    expect(find('Throttles', 'AWS/Lambda', ids.api)).toHaveLength(1);
    expect(find('Errors', 'AWS/Lambda', ids.worker)).toHaveLength(1);
    expect(find('Throttles', 'AWS/Lambda', ids.worker)).toHaveLength(1);
    expect(find('ApproximateNumberOfMessagesVisible', 'AWS/SQS', ids.dlq)).toHaveLength(1);
    expect(find('ApproximateAgeOfOldestMessage', 'AWS/SQS', ids.queue)).toHaveLength(1);
    expect(find('5xx', 'AWS/ApiGateway')).toHaveLength(1);

    const apiErrors = find('Errors', 'AWS/Lambda', ids.api)[0];
    expect(apiErrors).toMatchObject({ Threshold: 1, Period: 300, Statistic: 'Sum', ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const dlq = find('ApproximateNumberOfMessagesVisible', 'AWS/SQS', ids.dlq)[0];
    expect(dlq).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    for (const a of alarms) {
      expect(a.AlarmActions).toHaveLength(1);
      expect(a.TreatMissingData).toBe('notBreaching');
    }
  });
});
