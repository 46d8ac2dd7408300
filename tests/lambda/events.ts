/**
 * API Gateway HTTP API events, payload format 2.0, in the shape of AWS's documented example
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
 */
export interface V2EventOptions {
  query?: string;
  headers?: Record<string, string>;
  cookies?: string[];
  body?: string;
  base64?: boolean;
  requestId?: string;
  sourceIp?: string;
}

export const DOMAIN = 'r3pmxmplak.execute-api.us-east-2.amazonaws.com';

let seq = 0;
export function v2Event(method: string, rawPath: string, o: V2EventOptions = {}) {
  const userAgent = o.headers?.['user-agent'] ?? 'Mozilla/5.0 (lambda event test)';
  const body = o.body === undefined ? undefined : o.base64 ? Buffer.from(o.body, 'utf8').toString('base64') : o.body;
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: o.query ?? '',
    ...(o.cookies ? { cookies: o.cookies } : {}),
    headers: {
      accept: 'application/json',
      'content-length': body === undefined ? '0' : String(Buffer.byteLength(o.body ?? '')),
      host: DOMAIN,
      'user-agent': userAgent,
      'x-amzn-trace-id': `Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e${seq}`,
      'x-forwarded-for': o.sourceIp ?? '205.255.255.176',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...(o.headers ?? {}),
    },
    ...(o.query
      ? { queryStringParameters: Object.fromEntries(new URLSearchParams(o.query)) as Record<string, string> }
      : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'r3pmxmplak',
      domainName: DOMAIN,
      domainPrefix: 'r3pmxmplak',
      http: {
        method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: o.sourceIp ?? '205.255.255.176',
        userAgent,
      },
      requestId: o.requestId ?? `JKJaXmPLvHc${String(++seq).padStart(4, '0')}=`,
      routeKey: '$default',
      stage: '$default',
      time: '10/Mar/2020:05:16:23 +0000',
      timeEpoch: now,
    },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: !!o.base64,
  };
}

export const lambdaContext = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'DaycareStack-Api',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-2:123456789012:function:DaycareStack-Api',
  memoryLimitInMB: '1024',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  logGroupName: '/aws/lambda/DaycareStack-Api',
  logStreamName: '2020/03/10/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 29_000,
};

/** `name=value` pairs for `event.cookies`, from the `cookies` of a v2 result (Set-Cookie strings). */
export function cookiePairs(setCookies: string[]): string[] {
  return setCookies.map((c) => c.split(';')[0]!.trim()).filter((p) => !p.endsWith('='));
}
