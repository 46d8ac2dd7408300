import { createRoute, z, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { Permission } from '../../core/security/permissions.js';
import { UUID_RE } from '../../core/ids.js';
import { isCalendarDate, MAX_YEAR, MIN_YEAR } from '../../core/time.js';
import { idempotency } from '../middleware/idempotency.js';
import { authenticate, requirePermission, UNSAFE, type Visibility } from '../middleware/session.js';
import { authenticateKiosk } from '../middleware/kiosk.js';
import { authenticatePublic } from '../middleware/public.js';
import { nameStr, str } from '../../core/strings.js';
import { ErrorSchema } from './error.schemas.js';

export { ErrorSchema };

/**
 * defineRoute and the route table, and the schema pieces every resource shares (ids, lists, stamps, errors). A
 * resource's own request and response schemas live in `<resource>.schemas.ts`; its routes in `<resource>.routes.ts`.
 */

/** One row per authenticated route: the shared security suite iterates this table, so no route escapes it. */
export interface RouteMeta {
  method: string;
  path: string;
  /** 'kiosk': the route is opened by a kiosk token only, never by a session (src/api/middleware/kiosk.ts). */
  /** 'public-form' / 'public-offer': `/public/*`, opened by an application form's or an offer's token (middleware/public.ts). */
  permission: Permission | 'authenticated' | 'kiosk' | 'public-form' | 'public-offer';
  /** A session route's visibility check before a 403 ('check': the route names one; 'none': it says why none applies). */
  visible?: 'check' | 'none';
}

/** An unsafe session route whose path names a resource: a caller lacking its permission may be owed 404, not 403. */
export const needsVisibility = (method: string, path: string, permission: string) =>
  UNSAFE.has(method) && /\{[^}]+\}/.test(path) && permission !== 'authenticated';

/** The table being filled while an app registers its routes (set only during `collectRoutes`, synchronously). */
let collecting: RouteMeta[] | undefined;

/** Runs `register` and answers the rows of the routes it declared: each app gets its own table. */
export function collectRoutes(register: () => void): RouteMeta[] {
  const table: RouteMeta[] = [];
  const outer = collecting;
  collecting = table;
  try {
    register();
  } finally {
    collecting = outer;
  }
  return table;
}

const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });
const COMMON_ERRORS = {
  400: err('VALIDATION_ERROR'),
  401: err('UNAUTHENTICATED'),
  403: err('FORBIDDEN or CSRF_FAILED'),
  404: err('NOT_FOUND'),
  429: err('RATE_LIMITED'),
} as const;
const UNSAFE_ERRORS = {
  409: err('CONFLICT or IDEMPOTENCY_IN_PROGRESS'),
  412: err('PRECONDITION_FAILED (If-Match)'),
  413: err('PAYLOAD_TOO_LARGE'),
  415: err('UNSUPPORTED_MEDIA_TYPE'),
  422: err('UNPROCESSABLE or IDEMPOTENCY_KEY_REUSED'),
} as const;

// X-CSRF-Token is not listed here: the document declares it as the `csrfToken` security scheme (src/api/openapi/).
const idemHeader = z.object({
  'idempotency-key': str().min(1).max(255).optional().openapi({ description: 'Replays the first response for 24 h' }),
});
/** If-Match means something only where a stored resource (with its version) is changed or removed. */
const IF_MATCH_METHODS = new Set(['PATCH', 'PUT', 'DELETE']);
const ifMatchHeader = idemHeader.extend({
  'if-match': str().optional().openapi({ description: 'The resource version (ETag); 412 when it no longer matches' }),
});

/**
 * Declares an authenticated route: its permission (checked before validation, so a forbidden caller learns nothing
 * about the body's shape), idempotency for unsafe methods, and the contract's error responses in the OpenAPI document.
 * An unsafe route whose path names a resource also names its visibility check (`visible`, see requirePermission).
 */
export function defineRoute<R extends Omit<RouteConfig, 'middleware'>>(cfg: R & { permission: Permission | 'authenticated'; visible?: Visibility }) {
  const { permission, visible, ...route } = cfg;
  const method = route.method.toUpperCase();
  if (needsVisibility(method, route.path, permission) && !visible)
    throw new Error(`${method} ${route.path}: name its visibility check (visible: the owning module's check, or { none: 'why' })`);
  if (visible && typeof visible !== 'function' && !visible.none.trim()) throw new Error(`${method} ${route.path}: visible.none needs a reason`);
  collecting?.push({ method, path: route.path, permission, ...(visible ? { visible: typeof visible === 'function' ? 'check' : 'none' } : {}) });
  const middleware: MiddlewareHandler[] = [authenticate() as MiddlewareHandler, requirePermission(permission, visible) as MiddlewareHandler];
  const unsafe = UNSAFE.has(method);
  if (unsafe) middleware.push(idempotency() as MiddlewareHandler);
  const request = { ...(route.request ?? {}) } as NonNullable<RouteConfig['request']>;
  if (unsafe && !request.headers) request.headers = IF_MATCH_METHODS.has(method) ? ifMatchHeader : idemHeader;
  // operationId, tags and security are derived from the method and path by src/api/openapi/document.ts.
  return createRoute({
    ...route,
    request,
    middleware,
    responses: { ...COMMON_ERRORS, ...(unsafe ? UNSAFE_ERRORS : {}), ...route.responses },
  } as unknown as R & { middleware: MiddlewareHandler[] });
}

/** Declares a kiosk route (`/kiosk/*`): a kiosk token instead of a session, idempotency for unsafe methods. */
export function defineKioskRoute<R extends Omit<RouteConfig, 'middleware'>>(route: R) {
  if (!route.path.startsWith('/kiosk/')) throw new Error(`kiosk routes live under /kiosk/: ${route.path}`);
  const method = route.method.toUpperCase();
  collecting?.push({ method, path: route.path, permission: 'kiosk' });
  const middleware: MiddlewareHandler[] = [authenticateKiosk() as MiddlewareHandler];
  const unsafe = UNSAFE.has(method);
  if (unsafe) middleware.push(idempotency() as MiddlewareHandler);
  const request = { ...(route.request ?? {}) } as NonNullable<RouteConfig['request']>;
  if (unsafe && !request.headers) request.headers = idemHeader;
  return createRoute({
    ...route,
    request,
    middleware,
    responses: {
      ...COMMON_ERRORS,
      401: err('UNAUTHENTICATED (no valid kiosk token) or INVALID_PIN'),
      429: err('RATE_LIMITED: this kiosk is locked after too many wrong PINs (Retry-After)'),
      ...(unsafe ? UNSAFE_ERRORS : {}),
      ...route.responses,
    },
  } as unknown as R & { middleware: MiddlewareHandler[] });
}

/**
 * Declares a public route (`/public/*`): no session; an application form's Bearer token (`form`) or an offer token in
 * the body (`offer`), idempotency for unsafe methods.
 */
export function definePublicRoute<R extends Omit<RouteConfig, 'middleware'>>(route: R & { credential: 'form' | 'offer' }) {
  const { credential, ...rest } = route;
  if (!rest.path.startsWith('/public/')) throw new Error(`public routes live under /public/: ${rest.path}`);
  const method = rest.method.toUpperCase();
  collecting?.push({ method, path: rest.path, permission: credential === 'form' ? 'public-form' : 'public-offer' });
  const middleware: MiddlewareHandler[] = [authenticatePublic(credential) as MiddlewareHandler];
  const unsafe = UNSAFE.has(method);
  if (unsafe) middleware.push(idempotency() as MiddlewareHandler);
  const request = { ...(rest.request ?? {}) } as NonNullable<RouteConfig['request']>;
  if (unsafe && !request.headers) request.headers = idemHeader;
  return createRoute({
    ...rest,
    request,
    middleware,
    responses: {
      ...COMMON_ERRORS,
      401: err(credential === 'form' ? 'UNAUTHENTICATED (no valid application form token)' : 'UNAUTHENTICATED'),
      404: err(credential === 'offer' ? 'NOT_FOUND: an unknown or already used offer token' : 'NOT_FOUND'),
      429: err('RATE_LIMITED (Retry-After)'),
      ...(unsafe ? UNSAFE_ERRORS : {}),
      ...rest.responses,
    },
  } as unknown as Omit<R, 'credential'> & { middleware: MiddlewareHandler[] });
}

export const jsonBody = <T extends z.ZodType>(schema: T, description?: string) => ({
  body: { content: { 'application/json': { schema } }, required: true, description },
});
export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** Any string: a malformed id is simply not found (404), like another tenant's. */
export const IdParam = z.object({ id: str().max(100).openapi({ param: { name: 'id', in: 'path' } }) });

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: str().max(200).optional(),
});
export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: str().nullable() });

export const Timestamps = {
  id: str(),
  createdAt: str(),
  updatedAt: str(),
  version: z.number().int(),
};

/** createdAt, updatedAt and version: the stamps every versioned record answers with. */
export const Stamps = { createdAt: str(), updatedAt: str(), version: z.number().int() };

/** A person's or a room's name. */
export const Name = nameStr(100);
/** An id the client sends in a body or a query (a path id is any string: see IdParam). */
export const Id = str().regex(UUID_RE, 'must be an id');
/** Optional free text of at most `max` characters (null clears it). */
export const OptionalText = (max: number) => str().trim().max(max).nullable().optional();
export const Email = str().trim().email().max(320);

export const IncludeArchived = z
  .enum(['true', 'false'])
  .optional()
  .openapi({ description: 'Include archived records (default false)' });
export const includeArchived = (v: 'true' | 'false' | undefined) => v === 'true';
export const ArchivedListQuery = ListQuery.extend({ includeArchived: IncludeArchived });

/** A real calendar date (YYYY-MM-DD) of the years MIN_YEAR..MAX_YEAR (1900–2200): every date the API takes. */
export const CalendarDate = str()
  .refine(isCalendarDate, `must be a real date (YYYY-MM-DD) of the years ${MIN_YEAR}–${MAX_YEAR}`)
  .openapi({ format: 'date', example: '2025-01-31' });

/** True for an ISO 8601 instant whose year, as written and in UTC, is within MIN_YEAR..MAX_YEAR. */
export function isInstantInRange(v: string): boolean {
  const t = Date.parse(v);
  if (Number.isNaN(t)) return false;
  const written = Number(v.slice(0, 4));
  const utc = new Date(t).getUTCFullYear();
  return written >= MIN_YEAR && written <= MAX_YEAR && utc >= MIN_YEAR && utc <= MAX_YEAR;
}
/** An ISO 8601 instant with an offset (`Z` or `±hh:mm`) of the years 1900–2200: every instant the API takes. */
export const Instant = z.iso
  .datetime({ offset: true })
  .refine(isInstantInRange, `must be an instant of the years ${MIN_YEAR}–${MAX_YEAR}`)
  .openapi({ format: 'date-time' });
