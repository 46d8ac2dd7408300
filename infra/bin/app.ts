#!/usr/bin/env node
import * as fs from 'node:fs';
import { App } from 'aws-cdk-lib';
import { DaycareStack } from '../lib/daycare-stack.js';
import { resolveLambdaDir, type ResolvedLambdaDir } from '../lib/lambda-assets.js';

const app = new App();

// The functions' code: LAMBDA_DIR, else <repo>/dist/lambda (written by `npm run build:lambda` in the repo root),
// else — only with `-c allowStubLambda=true`, which `npm run synth` passes — a temporary directory of stub handlers.
const allowStub = ['true', '1'].includes(String(app.node.tryGetContext('allowStubLambda') ?? '').toLowerCase());
let lambda: ResolvedLambdaDir;
try {
  lambda = resolveLambdaDir({ explicitDir: process.env.LAMBDA_DIR, allowStub });
} catch (err) {
  console.error(`[daycare-infra] ${(err as Error).message}`);
  process.exit(1);
}

const stackName = String(app.node.tryGetContext('stackName') ?? 'DaycareStack');

// Environment-agnostic on purpose: no account/region at synth time and no lookups, so synth works offline.
// `cdk deploy` deploys to the account/region of the caller's AWS credentials (AWS_PROFILE / AWS_REGION).
new DaycareStack(app, stackName, { lambdaDir: lambda.dir });

app.synth();

// The asset has been copied into cdk.out by now; the stub directory is no longer needed.
if (lambda.stub) fs.rmSync(lambda.dir, { recursive: true, force: true });
