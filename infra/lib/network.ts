import { Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import { Construct } from 'constructs';

export const REDIS_PORT = 6379;

/**
 * The `cache=elasticache` mode: a VPC for the functions and a Valkey ElastiCache Serverless cache they alone can reach.
 *
 * - 2 AZs, public + private-with-egress subnets, ONE NAT gateway: the functions still have to reach SQS, Secrets
 *   Manager, CloudWatch, the Supabase database pooler and the Supabase JWKS, which are on the internet. One NAT gateway
 *   (not one per AZ) keeps the fixed cost down; an AZ outage of that NAT's AZ cuts egress until it recovers.
 * - An S3 gateway endpoint (free) so file traffic does not pay NAT data processing.
 * - Security groups: functions' SG → cache SG on 6379 only; the cache SG has no egress.
 */
export class CacheNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  readonly functionSecurityGroup: ec2.SecurityGroup;
  readonly cacheSecurityGroup: ec2.SecurityGroup;
  readonly cache: elasticache.CfnServerlessCache;
  /** `rediss://<endpoint>:<port>` — TLS is always on for ElastiCache Serverless, and it speaks cluster mode. */
  readonly redisUrl: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
      },
    });

    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionsSecurityGroup', {
      vpc: this.vpc,
      description: 'Daycare Lambda functions (egress to AWS APIs, the database and the cache)',
      allowAllOutbound: true,
    });

    this.cacheSecurityGroup = new ec2.SecurityGroup(this, 'CacheSecurityGroup', {
      vpc: this.vpc,
      description: 'Daycare Valkey serverless cache (ingress from the functions on 6379 only)',
      allowAllOutbound: false,
    });
    this.cacheSecurityGroup.addIngressRule(
      this.functionSecurityGroup,
      ec2.Port.tcp(REDIS_PORT),
      'Daycare functions to Valkey (TLS)',
    );

    const privateSubnets = this.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });

    this.cache = new elasticache.CfnServerlessCache(this, 'Cache', {
      serverlessCacheName: serverlessCacheName(Stack.of(this).stackName),
      description: 'Daycare cache: entitlements version, permission sets, JTI blocklist, rate limits, idempotency locks',
      engine: 'valkey',
      majorEngineVersion: '8',
      subnetIds: privateSubnets.subnetIds,
      securityGroupIds: [this.cacheSecurityGroup.securityGroupId],
      cacheUsageLimits: {
        dataStorage: { maximum: 5, unit: 'GB' },
        ecpuPerSecond: { maximum: 15_000 },
      },
    });

    this.redisUrl = Fn.join('', ['rediss://', this.cache.attrEndpointAddress, ':', this.cache.attrEndpointPort]);
  }
}

/** ElastiCache names: lowercase letters, digits and single hyphens, starting with a letter, at most 40 characters. */
export function serverlessCacheName(stackName: string): string {
  const base = stackName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 34)
    .replace(/-+$/, '');
  return `${base || 'daycare'}-cache`;
}
