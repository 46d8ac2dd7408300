import { handle, type APIGatewayProxyResult, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda';
import { createApp } from '../api/app.js';
import type { Container } from '../container.js';
import { errorBody } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { telemetry } from '../core/telemetry.js';
import { describeStartupError, getContainer } from './lambda-runtime.js';

/**
 * Lambda handler for the HTTP API (API Gateway HTTP API, payload format 2.0; v1 and ALB events work too).
 * The container — secrets, config, database pool, cache — is built once per execution environment, on the first
 * invocation, and reused by every later one. Production never migrates here (the Migrate function does).
 */
type Handler = ReturnType<typeof handle>;
let app: { container: Container; handle: Handler } | undefined;

export async function handler(event: LambdaEvent, context?: LambdaContext): Promise<APIGatewayProxyResult> {
  let container: Container;
  try {
    container = await getContainer();
  } catch (err) {
    return startupFailure(event, err);
  }
  if (app?.container !== container) app = { container, handle: handle(createApp(container)) };
  const response = await app.handle(withRequestId(event), context);
  // The environment may be frozen after the answer: export this invocation's spans and metrics first (no-op when off).
  await telemetry.flush().catch(() => undefined);
  return response;
}

/** The gateway's request id becomes ours when the client sent none, so access logs and app logs line up. */
function withRequestId(event: LambdaEvent): LambdaEvent {
  const gatewayId = (event.requestContext as { requestId?: unknown } | undefined)?.requestId;
  if (typeof gatewayId !== 'string' || gatewayId === '') return event;
  const headers = (event.headers ?? {}) as Record<string, unknown>;
  if (Object.keys(headers).some((k) => k.toLowerCase() === 'x-request-id')) return event;
  if ('multiValueHeaders' in event && event.multiValueHeaders) {
    const mv = event.multiValueHeaders as Record<string, unknown>;
    if (Object.keys(mv).some((k) => k.toLowerCase() === 'x-request-id')) return event;
    return { ...event, multiValueHeaders: { ...mv, 'x-request-id': [gatewayId] } } as LambdaEvent;
  }
  return { ...event, headers: { ...headers, 'x-request-id': gatewayId } } as LambdaEvent;
}

/**
 * The environment could not start (a bad or missing variable, an unreadable secret): one log line naming the
 * variable, and a 500 in the contract's error shape. The next invocation tries again.
 */
function startupFailure(event: LambdaEvent, err: unknown): APIGatewayProxyResult {
  const gatewayId = (event?.requestContext as { requestId?: unknown } | undefined)?.requestId;
  const requestId = typeof gatewayId === 'string' && gatewayId ? gatewayId : newId();
  console.error(describeStartupError(err));
  return {
    statusCode: 500,
    headers: { 'content-type': 'application/json', 'x-request-id': requestId, 'cache-control': 'no-store' },
    body: JSON.stringify(errorBody('INTERNAL', 'The service is not configured correctly', requestId)),
    isBase64Encoded: false,
  };
}
