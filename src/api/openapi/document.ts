import type { OpenAPIHono } from '@hono/zod-openapi';
import { errorExamples } from './error-examples.js';
import { REQUEST_EXAMPLES } from './examples.js';

export { errorExamples };

/**
 * The OpenAPI document, finished in one place: what every operation shares (its operationId and tag, security,
 * response headers, the request example) is derived here from the method and path, so route files declare only
 * their own schemas. An operation that sets `operationId` or `tags` itself keeps them.
 */

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
const UNSAFE = new Set(['post', 'put', 'patch', 'delete']);

/** Only where the rule's name reads wrong. */
export const OPERATION_ID_OVERRIDES: Record<string, string> = {
  'PUT /students/{id}/guardians/{guardianId}': 'students.guardians.link',
  'DELETE /students/{id}/guardians/{guardianId}': 'students.guardians.unlink',
  'GET /me/context': 'me.context',
  'GET /health/live': 'health.live',
  'GET /health/ready': 'health.ready',
};

/** Collections whose names do not end in "s". */
const UNCOUNTABLE = new Set(['attendance', 'staff']);
const isCollection = (segment: string) => UNCOUNTABLE.has(segment) || /[^s]s$/.test(segment);
const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());
const ITEM_VERB: Record<string, string> = { get: 'get', put: 'set', patch: 'update', delete: 'delete' };
const COLLECTION_VERB: Record<string, string> = { get: 'list', post: 'create', put: 'set', patch: 'update', delete: 'delete' };

/**
 * `GET /students` → `students.list`, `POST /students` → `students.create`, `GET /students/{id}` → `students.get`,
 * `PATCH` → `update`, `PUT` → `set`, `DELETE` → `delete`; `GET /rooms/{id}/roster` → `rooms.roster.get`;
 * a POST to a path ending in a verb is that action: `POST /attendance/check-in` → `attendance.checkIn`.
 */
export function operationIdFor(method: string, path: string): string {
  const m = method.toLowerCase();
  const override = OPERATION_ID_OVERRIDES[`${m.toUpperCase()} ${path}`];
  if (override) return override;
  const segments = path.split('/').filter(Boolean);
  const names = segments.filter((s) => !s.startsWith('{')).map(camel);
  const last = segments[segments.length - 1] ?? '';
  if (last.startsWith('{')) return [...names, ITEM_VERB[m] ?? m].join('.');
  if (isCollection(last)) return [...names, COLLECTION_VERB[m] ?? m].join('.');
  if (m === 'post') return names.join('.');
  return [...names, ITEM_VERB[m] ?? m].join('.');
}

const TAG_ALIASES: Record<string, string> = { me: 'auth', tenant: 'tenants', kiosks: 'kiosk' };
/** The first path segment names the group: `/students/{id}/guardians` is under `students`. */
export function tagFor(path: string): string {
  const first = path.split('/').filter(Boolean)[0] ?? 'default';
  return TAG_ALIASES[first] ?? first;
}

/** Operations anyone may call (CONTRACT §3): everything else needs the session cookie, or a kiosk's token. */
const PUBLIC = new Set(['POST /auth/exchange', 'GET /health/live', 'GET /health/ready', 'GET /openapi.json', 'GET /docs']);
/** Answers that (re)write the session cookies. */
const SETS_COOKIES = new Set(['POST /auth/exchange', 'POST /auth/refresh', 'POST /auth/switch', 'POST /auth/logout', 'POST /tenants', 'GET /me/context']);
/** ETags of answers whose body is not itself the versioned resource. */
const ETAG_ALSO = new Set(['POST /tenants']);

export function securityFor(method: string, path: string): Json[] {
  const m = method.toLowerCase();
  const key = `${m.toUpperCase()} ${path}`;
  if (PUBLIC.has(key)) return [];
  if (path.startsWith('/kiosk/')) return [{ kioskToken: [] }];
  // The public enrolment routes: a form's Bearer token, or an offer token carried in the body (no cookie, no CSRF).
  if (path === '/public/applications') return [{ applicationFormToken: [] }];
  if (path.startsWith('/public/offers/')) return [{ offerToken: [] }];
  const csrf = UNSAFE.has(m) ? { csrfToken: [] } : {};
  if (key === 'POST /auth/refresh') return [{ refreshCookie: [], ...csrf }];
  // Without any session, logout is still a 204 (nothing to do).
  if (key === 'POST /auth/logout') return [{ sessionCookie: [], ...csrf }, { refreshCookie: [], ...csrf }, {}];
  return [{ sessionCookie: [], ...csrf }];
}

export const SECURITY_SCHEMES: Json = {
  sessionCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: '__Host-session',
    description: 'The session set by POST /auth/exchange (HttpOnly). Send requests with `credentials: "include"`.',
  },
  refreshCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: '__Secure-refresh',
    description: 'The refresh token (HttpOnly, Path=/auth), rotated by every POST /auth/refresh.',
  },
  csrfToken: {
    type: 'apiKey',
    in: 'header',
    name: 'X-CSRF-Token',
    description:
      'Required on every unsafe request made with the session cookies (all but /auth/exchange): the `csrfToken` of the last exchange, refresh, switch or GET /me/context (equal to the `__Host-csrf` cookie). Missing or wrong → 403 CSRF_FAILED.',
  },
  kioskToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'A kiosk token from POST /kiosks, for the /kiosk/* routes only (no cookies, so no CSRF header).',
  },
  applicationFormToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'An application form token from POST /application-forms (shown once), for POST /public/applications only (no cookies, so no CSRF header).',
  },
  offerToken: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Offer-Token',
    description:
      'Documentation only: the offer token from the offer.made email travels as the `token` field of the body of /public/offers/* (single-use, dies at the offer’s expiresAt). No header is read.',
  },
};

const HEADERS: Json = {
  'X-Request-Id': { description: 'The request id (the client’s own when it sent a sane one); it is also in error bodies.', schema: { type: 'string' } },
  'Set-Cookie': {
    description: '`__Host-session`, `__Secure-refresh` and `__Host-csrf` (cleared by logout). Never readable by a page on another origin.',
    schema: { type: 'string' },
  },
  ETag: { description: 'The resource version, quoted (`"3"`); send it back as `If-Match`.', schema: { type: 'string', example: '"3"' } },
  'Idempotent-Replayed': {
    description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key.',
    schema: { type: 'string', enum: ['true'] },
  },
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } },
  'RateLimit-Policy': {
    description: 'The limit that counted this request (draft-ietf-httpapi-ratelimit-headers): its name, quota `q` and window `w` in seconds, e.g. `"per-minute";q=6000;w=60`.',
    schema: { type: 'string', example: '"per-minute";q=6000;w=60' },
  },
  RateLimit: {
    description: 'What is left of that limit: `r` requests remaining, `t` seconds until the window turns (on a 429: until one more is allowed), e.g. `"per-minute";r=5999;t=42`.',
    schema: { type: 'string', example: '"per-minute";r=5999;t=42' },
  },
  Deprecation: { description: 'RFC 9745: this operation is deprecated since the given time (`@<unix seconds>`). See `Sunset` and the README’s deprecation policy.', schema: { type: 'string', example: '@1798761600' } },
  Sunset: { description: 'RFC 8594: the operation stops answering after this HTTP-date.', schema: { type: 'string', example: 'Thu, 01 Jul 2027 00:00:00 GMT' } },
  Location: { description: 'Where to poll the job: `/jobs/{id}`.', schema: { type: 'string', example: '/jobs/0196f1a4-8a5e-7c3b-9f1d-2b6c1e0a9d41' } },
};
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

const TAGS = [
  { name: 'auth', description: 'Signing in with a Supabase token, the session cookies, CSRF, refresh, logout, switching centre, and who am I.' },
  { name: 'tenants', description: 'Centres: creating one, its settings.' },
  { name: 'memberships', description: 'Members and invitations of the active centre.' },
  { name: 'rooms', description: 'Rooms, their roster and ratios.' },
  { name: 'students', description: 'Children and the guardians linked to them.' },
  { name: 'guardians', description: 'Parents and other adults.' },
  { name: 'staff', description: 'Staff members.' },
  { name: 'attendance', description: 'Check-in, check-out, corrections, daily rollups.' },
  { name: 'messages', description: 'Messages about a child, to a room or to the centre.' },
  { name: 'files', description: 'Uploads and downloads through short-lived URLs.' },
  { name: 'reports', description: 'Report jobs (202 + Location: /jobs/{id}).' },
  { name: 'imports', description: 'Import jobs (202 + Location: /jobs/{id}).' },
  { name: 'jobs', description: 'Jobs you started.' },
  { name: 'health', description: 'Liveness and readiness, for load balancers and orchestrators.' },
];

/**
 * `info.version` follows semver and changes with the public contract (CHANGELOG.md at the repository root records
 * each version): a new route, field or header is a minor bump, a fix of the document a patch, a removal (after its
 * Sunset) a major one. clients/typescript carries the same version (scripts/generate-client.ts writes it).
 */
export const API_VERSION = '1.2.0';

export const DOCUMENT_INFO = {
  title: 'Daycare API',
  version: API_VERSION,
  description: [
    '**Sign in on this page:** run `npm run token -- --email you@example.com` in the repository (it prints a local Supabase-shaped access token; the server must run in local mode, without `SUPABASE_URL`, with the same `DATA_DIR`), then open `POST /auth/exchange` below, choose **Try it out**, paste the token as `accessToken` and **Execute**. The session cookies are now set for this page: every other **Try it out** sends them, and the page adds the `X-CSRF-Token` header to POST, PUT, PATCH and DELETE by itself. There is nothing to fill in under Authorize for the session.',
    '',
    'Multi-tenant childcare centre API for a web frontend that signs in with Supabase.',
    '',
    '1. `POST /auth/exchange {"accessToken": "<Supabase access token>"}` with `credentials: "include"` sets the session cookies and returns a `csrfToken`.',
    '2. Send `X-CSRF-Token: <csrfToken>` on every POST, PUT, PATCH and DELETE.',
    '3. On 401 `UNAUTHENTICATED`, call `POST /auth/refresh` once and retry.',
    '',
    'Errors are always `{"error": {"code", "message", "requestId", "details"?}}`. Lists take `?limit=&cursor=` and answer `{"items", "nextCursor"}`.',
    'Counted requests answer `RateLimit-Policy` and `RateLimit`; a 429 `RATE_LIMITED` adds `Retry-After`. A deprecated operation answers `Deprecation` and `Sunset`.',
    'A typed client is in `clients/typescript` of the repository (`npm pack` there gives an installable package of this version).',
  ].join('\n'),
};

/** `allOf: [{$ref}, {type: [object, null]}]` (how a nullable registered schema comes out) → `anyOf: [{$ref}, {type: null}]`, which generators read as `T | null`. */
function fixNullableRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(fixNullableRefs);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) out[k] = fixNullableRefs(v);
  if (Array.isArray(out.allOf) && out.allOf.length === 2) {
    const [ref, nullable] = out.allOf as Json[];
    const onlyNullType = nullable && Object.keys(nullable).length === 1 && Array.isArray(nullable.type) && nullable.type.includes('null');
    if (ref?.$ref && onlyNullType) {
      const { allOf: _allOf, ...rest } = out;
      return { ...rest, anyOf: [ref, { type: 'null' }] };
    }
  }
  return out;
}

function resolve(doc: Json, schema: Json | undefined): Json | undefined {
  let s = schema;
  for (let i = 0; s?.$ref && i < 10; i++) s = doc.components?.schemas?.[String(s.$ref).split('/').pop()!];
  return s;
}
const hasVersion = (doc: Json, schema: Json | undefined) => Boolean(resolve(doc, schema)?.properties?.version);

/** A plausible value for a schema: its own example, else the first enum value, else one by type (required fields only). */
function synthesise(doc: Json, schema: Json | undefined, depth = 0): unknown {
  const s = resolve(doc, schema);
  if (!s || depth > 6) return null;
  if (s.example !== undefined) return s.example;
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  if (Array.isArray(s.enum)) return s.enum[0];
  if (s.const !== undefined) return s.const;
  const options = s.anyOf ?? s.oneOf;
  if (Array.isArray(options)) return synthesise(doc, options.find((o: Json) => o.type !== 'null') ?? options[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(((s.required ?? []) as string[]).map((k) => [k, synthesise(doc, s.properties?.[k], depth + 1)]));
    case 'array':
      return [synthesise(doc, s.items, depth + 1)];
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      return s.format === 'date' ? '2026-03-09' : s.format === 'date-time' ? '2026-03-09T08:15:00Z' : 'string';
    default:
      return null;
  }
}

function finishOperation(doc: Json, method: string, path: string, op: Json) {
  const key = `${method.toUpperCase()} ${path}`;
  op.operationId ??= operationIdFor(method, path);
  op.tags ??= [tagFor(path)];
  op.security = securityFor(method, path);
  const media = op.requestBody?.content?.['application/json'];
  if (media && media.example === undefined && resolve(doc, media.schema)?.example === undefined)
    media.example = REQUEST_EXAMPLES[op.operationId] ?? synthesise(doc, media.schema);

  op.responses ??= {};
  if (!op.responses['429'])
    op.responses['429'] = { description: 'RATE_LIMITED', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  const idempotent = UNSAFE.has(method) && !path.startsWith('/auth/');
  for (const [status, response] of Object.entries(op.responses as Record<string, Json>)) {
    const headers: Json = { 'X-Request-Id': headerRef('X-Request-Id'), ...(response.headers ?? {}) };
    const ok = status.startsWith('2');
    if (status === '429') Object.assign(headers, { 'Retry-After': headerRef('Retry-After'), 'RateLimit-Policy': headerRef('RateLimit-Policy'), RateLimit: headerRef('RateLimit') });
    if (op.deprecated) Object.assign(headers, { Deprecation: headerRef('Deprecation'), ...(op['x-sunset'] ? { Sunset: headerRef('Sunset') } : {}) });
    const errorMedia = !ok && /^[45]/.test(status) ? response.content?.['application/json'] : undefined;
    if (errorMedia && errorMedia.example === undefined && errorMedia.examples === undefined) {
      const examples = errorExamples(status, response.description);
      if (Object.keys(examples).length) errorMedia.examples = examples;
    }
    if (ok && SETS_COOKIES.has(key)) headers['Set-Cookie'] = headerRef('Set-Cookie');
    if (ok && (ETAG_ALSO.has(key) || hasVersion(doc, response.content?.['application/json']?.schema))) headers.ETag = headerRef('ETag');
    if (ok && idempotent) headers['Idempotent-Replayed'] = headerRef('Idempotent-Replayed');
    if (status === '202') headers.Location = { ...HEADERS.Location, required: true };
    response.headers = headers;
  }
}

/** The finished document for an app (servers left out: the client names its own base URL). */
export function buildOpenApiDocument(app: OpenAPIHono<any>): Json {
  const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: DOCUMENT_INFO }) as Json;
  const fixed = fixNullableRefs(doc) as Json;
  fixed.components ??= {};
  fixed.components.securitySchemes = { ...(fixed.components.securitySchemes ?? {}), ...SECURITY_SCHEMES };
  delete fixed.components.securitySchemes.cookieAuth;
  fixed.components.headers = { ...(fixed.components.headers ?? {}), ...HEADERS };
  for (const [path, item] of Object.entries((fixed.paths ?? {}) as Record<string, Json>))
    for (const method of METHODS) if (item[method]) finishOperation(fixed, method, path, item[method]);
  const used = new Set<string>();
  for (const item of Object.values((fixed.paths ?? {}) as Record<string, Json>)) for (const m of METHODS) for (const t of item[m]?.tags ?? []) used.add(t);
  fixed.tags = [...TAGS.filter((t) => used.has(t.name)), ...[...used].filter((t) => !TAGS.some((x) => x.name === t)).map((name) => ({ name }))];
  return fixed;
}
