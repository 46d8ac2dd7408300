import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  asArray,
  type CfnTemplate,
  logicalId,
  oldNodeRuntimes,
  removeStubLambdaDir,
  resourcesOfType,
  starResourceStatements,
  statementsOfRole,
  synth,
} from './helpers.js';

afterAll(removeStubLambdaDir);

const envOf = (json: CfnTemplate, id: string) => json.Resources[id]!.Properties.Environment.Variables as Record<string, any>;

describe('cache=upstash', () => {
  const s = synth({ context: { cache: 'upstash' } });
  const api = logicalId(s.stack.apiFunction);
  const worker = logicalId(s.stack.workerFunction);

  it('creates no VPC, NAT, security group or ElastiCache', () => {
    for (const type of [
      'AWS::EC2::VPC',
      'AWS::EC2::NatGateway',
      'AWS::EC2::Subnet',
      'AWS::EC2::SecurityGroup',
      'AWS::ElastiCache::ServerlessCache',
      'AWS::ElastiCache::CacheCluster',
      'AWS::ElastiCache::ReplicationGroup',
    ]) {
      s.template.resourceCountIs(type, 0);
    }
    for (const [, r] of resourcesOfType(s.json, 'AWS::Lambda::Function')) expect(r.Properties.VpcConfig).toBeUndefined();
  });

  it('passes the Redis URL as a secret ARN, never REDIS_URL', () => {
    const secretId = logicalId(s.stack.node.findChild('RedisUrlSecret'));
    for (const id of [api, worker]) {
      const env = envOf(s.json, id);
      expect(env).not.toHaveProperty('REDIS_URL');
      expect(env.REDIS_URL_SECRET_ARN).toEqual({ Ref: secretId });
      const granted = statementsOfRole(s.json, s.json.Resources[id]!.Properties.Role['Fn::GetAtt'][0])
        .filter((st) => asArray(st.Action).includes('secretsmanager:GetSecretValue'))
        .flatMap((st) => asArray<any>(st.Resource));
      expect(granted).toContainEqual({ Ref: secretId });
    }
  });

  it('still passes the runtime and IAM guards', () => {
    expect(oldNodeRuntimes(s.json)).toEqual([]);
    expect(starResourceStatements(s.json)).toEqual([]);
    const managed = resourcesOfType(s.json, 'AWS::IAM::Role').flatMap(([, r]) => asArray<any>(r.Properties.ManagedPolicyArns).map((a) => JSON.stringify(a)));
    expect(managed.some((a) => a.includes('AWSLambdaVPCAccessExecutionRole'))).toBe(false);
  });
});

describe('optional settings', () => {
  it('without appOrigins there is no bucket CORS rule and no APP_ORIGINS', () => {
    const s = synth({ context: { cache: 'upstash' } });
    const [[, bucket]] = resourcesOfType(s.json, 'AWS::S3::Bucket') as [[string, any]];
    expect(bucket.Properties.CorsConfiguration).toBeUndefined();
    expect(envOf(s.json, logicalId(s.stack.apiFunction))).not.toHaveProperty('APP_ORIGINS');
    expect(envOf(s.json, logicalId(s.stack.apiFunction))).not.toHaveProperty('SUPABASE_URL');
  });

  it('supabaseJwtSecret=true creates the secret and passes SUPABASE_JWT_SECRET_ARN', () => {
    const s = synth({ context: { cache: 'upstash', supabaseJwtSecret: 'true' } });
    const secretId = logicalId(s.stack.node.findChild('SupabaseJwtSecret'));
    const env = envOf(s.json, logicalId(s.stack.apiFunction));
    expect(env.SUPABASE_JWT_SECRET_ARN).toEqual({ Ref: secretId });
    expect(env).not.toHaveProperty('SUPABASE_JWT_SECRET');
    expect(envOf(s.json, logicalId(s.stack.migrateFunction))).not.toHaveProperty('SUPABASE_JWT_SECRET_ARN');
  });

  it('migrateOnDeploy=false leaves the trigger out', () => {
    const s = synth({ context: { cache: 'upstash', migrateOnDeploy: 'false' } });
    s.template.resourceCountIs('Custom::Trigger', 0);
    s.template.resourceCountIs('AWS::Lambda::Function', 3);
  });

  it('databaseUrlSecretArn uses an existing secret instead of creating one', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:daycare/database-url-AbCdEf';
    const s = synth({ context: { cache: 'upstash', databaseUrlSecretArn: arn } });
    // Only the session secret, the Upstash URL secret and the two Stripe secrets are created.
    s.template.resourceCountIs('AWS::SecretsManager::Secret', 4);
    const migrate = logicalId(s.stack.migrateFunction);
    expect(envOf(s.json, migrate).DATABASE_URL_SECRET_ARN).toBe(arn);
    const granted = statementsOfRole(s.json, s.json.Resources[migrate]!.Properties.Role['Fn::GetAtt'][0]).flatMap((st) => asArray(st.Resource));
    expect(granted).toEqual([arn]);
  });

  it('alarmEmail subscribes the address to the alarm topic; reserved concurrency and worker concurrency are configurable', () => {
    const s = synth({
      context: { cache: 'upstash', alarmEmail: 'ops@example.com', apiReservedConcurrency: '50', workerMaxConcurrency: '3' },
    });
    s.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    expect(s.json.Resources[logicalId(s.stack.apiFunction)]!.Properties.ReservedConcurrentExecutions).toBe(50);
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 3 } });
  });

  it('rejects bad context values with a message naming the key', () => {
    expect(() => synth({ context: { cache: 'memcached' } })).toThrow(/"cache"/);
    expect(() => synth({ context: { appOrigins: '*' } })).toThrow(/"appOrigins".*wildcard/);
    expect(() => synth({ context: { supabaseUrl: 'http://xyz.supabase.co' } })).toThrow(/"supabaseUrl"/);
    expect(() => synth({ context: { workerMaxConcurrency: '1' } })).toThrow(/"workerMaxConcurrency"/);
  });
});

describe('the guards catch what they guard against', () => {
  const template = (build: (stack: Stack) => void): CfnTemplate => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'daycare-cdk-guard-'));
    try {
      // Default-rule validation would (rightly) print a deprecation warning for the nodejs20.x function: not needed here.
      const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validateAgainstDefaultRules': false } });
      const stack = new Stack(app, 'Bad');
      build(stack);
      return Template.fromStack(stack).toJSON() as CfnTemplate;
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  };

  it('flags a nodejs20.x function', () => {
    const json = template((stack) => {
      new lambda.Function(stack, 'Old', {
        runtime: lambda.Runtime.NODEJS_20_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => ({})'),
      });
    });
    expect(oldNodeRuntimes(json)).toEqual([expect.stringContaining('nodejs20.x')]);
  });

  it('flags a statement on Resource "*"', () => {
    const json = template((stack) => {
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    });
    expect(starResourceStatements(json)).toHaveLength(1);
  });
});
