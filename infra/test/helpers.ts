import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { DaycareConfig } from '../lib/config.js';
import { DaycareStack } from '../lib/daycare-stack.js';
import { createStubLambdaDir } from '../lib/lambda-assets.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The same feature flags and settings `cdk synth` uses, so the tests check what would be deployed. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(fs.readFileSync(path.join(here, '..', 'cdk.json'), 'utf8')).context;

let stubDir: string | undefined;
function stubLambdaDir(): string {
  stubDir ??= createStubLambdaDir();
  return stubDir;
}

/** Removes the stub lambda directory (call from afterAll). */
export function removeStubLambdaDir(): void {
  if (stubDir) fs.rmSync(stubDir, { recursive: true, force: true });
  stubDir = undefined;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: DaycareStack;
  readonly template: Template;
  /** Errors, warnings and infos attached to the stack's constructs during synthesis. */
  readonly annotations: Annotations;
  readonly json: CfnTemplate;
  /** Context keys CDK would have to look up in an AWS account (must stay empty: synth is offline). */
  readonly missingContext: unknown[];
}

export interface CfnResource {
  Type: string;
  Properties?: any;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  Condition?: string;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, any>;
}

/**
 * Synthesises the stack with a stub lambda directory, asset bundling skipped for every stack, into a throw-away
 * cloud assembly directory. Nothing here reaches the network or needs AWS credentials.
 */
export function synth(opts: { context?: Record<string, unknown>; config?: Partial<DaycareConfig> } = {}): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'daycare-cdk-test-'));
  try {
    const app = new App({
      outdir,
      context: {
        ...CDK_JSON_CONTEXT,
        'aws:cdk:bundling-stacks': [],
        ...opts.context,
      },
    });
    const stack = new DaycareStack(app, 'DaycareStack', { lambdaDir: stubLambdaDir(), config: opts.config });
    const assembly = app.synth();
    const template = Template.fromStack(stack);
    return {
      app,
      stack,
      template,
      annotations: Annotations.fromStack(stack),
      json: template.toJSON() as CfnTemplate,
      missingContext: assembly.manifest.missing ?? [],
    };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

export function logicalId(construct: IConstruct): string {
  const child = construct.node.defaultChild as CfnElement | undefined;
  const el = (child ?? construct) as CfnElement;
  return el.stack.getLogicalId(el);
}

export function resourcesOfType(json: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type);
}

export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
  Sid?: string;
}

export const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every identity-policy statement of a role: inline `Policies` plus the AWS::IAM::Policy resources attached to it. */
export function statementsOfRole(json: CfnTemplate, roleLogicalId: string): Statement[] {
  const role = json.Resources[roleLogicalId];
  if (!role || role.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is not a role`);
  const inline = asArray<any>(role.Properties?.Policies).flatMap((p) => asArray<Statement>(p.PolicyDocument.Statement));
  const attached = resourcesOfType(json, 'AWS::IAM::Policy')
    .filter(([, p]) => asArray<any>(p.Properties.Roles).some((r) => r?.Ref === roleLogicalId))
    .flatMap(([, p]) => asArray<Statement>(p.Properties.PolicyDocument.Statement));
  return [...inline, ...attached];
}

/** Every policy statement in the template: identity policies (inline, attached, managed) and resource policies. */
export function allStatements(json: CfnTemplate): { where: string; statement: Statement }[] {
  const out: { where: string; statement: Statement }[] = [];
  const push = (where: string, doc: any) => {
    for (const s of asArray<Statement>(doc?.Statement)) out.push({ where, statement: s });
  };
  for (const [id, r] of Object.entries(json.Resources)) {
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::IAM::Role':
      case 'AWS::IAM::User':
      case 'AWS::IAM::Group':
        for (const pol of asArray<any>(p.Policies)) push(`${id} (inline ${pol.PolicyName})`, pol.PolicyDocument);
        break;
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
        push(id, p.PolicyDocument);
        break;
      case 'AWS::S3::BucketPolicy':
      case 'AWS::SQS::QueuePolicy':
      case 'AWS::SNS::TopicPolicy':
        push(id, p.PolicyDocument);
        break;
      case 'AWS::SecretsManager::ResourcePolicy':
        push(id, p.ResourcePolicy);
        break;
      default:
        break;
    }
  }
  return out;
}

/** `{ "Fn::GetAtt": [id, "Arn"] }`. */
export const getAttArn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

/** Functions on a Node.js runtime older than 22, or whose runtime is not a literal (which could hide one). */
export function oldNodeRuntimes(json: CfnTemplate): string[] {
  const offenders: string[] = [];
  for (const [id, r] of resourcesOfType(json, 'AWS::Lambda::Function')) {
    const runtime: unknown = r.Properties?.Runtime;
    if (typeof runtime !== 'string') {
      // Container-image functions have no runtime; anything else must be a literal we can read.
      if (r.Properties?.PackageType !== 'Image') offenders.push(`${id}: non-literal runtime ${JSON.stringify(runtime)}`);
      continue;
    }
    const m = /^nodejs(\d+)\.x$/.exec(runtime);
    if (runtime.startsWith('nodejs') && (!m || Number(m[1]) < 22)) offenders.push(`${id}: ${runtime}`);
  }
  return offenders;
}

/**
 * Actions that AWS only accepts on Resource "*". None is needed in this template: the functions' EC2 network-interface
 * and CloudWatch Logs permissions come from the AWS managed policies AWSLambdaVPCAccessExecutionRole and
 * AWSLambdaBasicExecutionRole, referenced by ARN, not written here. Add an action only with a reason.
 */
export const ALLOWED_STAR_ACTIONS: ReadonlySet<string> = new Set<string>();

/** Statements whose Resource is "*" (or that use NotResource), unless all their actions are allow-listed. */
export function starResourceStatements(json: CfnTemplate): string[] {
  return allStatements(json)
    .filter(({ statement }) => asArray(statement.Resource).some((r) => r === '*') || statement.NotResource !== undefined)
    .filter(({ statement }) => !asArray(statement.Action).every((a) => ALLOWED_STAR_ACTIONS.has(a)))
    .map(({ where, statement }) => `${where}: ${JSON.stringify(statement)}`);
}
