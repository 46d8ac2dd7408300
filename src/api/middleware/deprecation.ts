import type { RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';

/**
 * Deprecating a route (README, "Versions and deprecation"): the operation is marked `deprecated: true` with
 * `x-deprecated-since` and `x-sunset` in /openapi.json, every answer carries `Deprecation: @<unix seconds>` (RFC 9745)
 * and `Sunset: <HTTP-date>` (RFC 8594), and CHANGELOG.md names it under the version that deprecated it. After the
 * sunset the route may be removed in the next major version.
 */
export interface DeprecationPolicy {
  /** When the route was deprecated (ISO 8601). */
  since: string;
  /** The earliest time it stops answering (ISO 8601); at least 6 months after `since`. */
  sunset: string;
}

/** The two headers for a policy. */
export function deprecationHeaders(p: DeprecationPolicy): Record<string, string> {
  const since = Date.parse(p.since);
  const sunset = Date.parse(p.sunset);
  if (Number.isNaN(since) || Number.isNaN(sunset) || sunset <= since) throw new Error(`a deprecation needs a valid since (${p.since}) before its sunset (${p.sunset})`);
  return { Deprecation: `@${Math.floor(since / 1000)}`, Sunset: new Date(sunset).toUTCString() };
}

export function deprecation(p: DeprecationPolicy): MiddlewareHandler {
  const headers = deprecationHeaders(p);
  return async (c, next) => {
    await next();
    // Error answers too: a client learns the route is going whatever it sent.
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };
}

/** Marks a route (a createRoute / defineRoute config) deprecated: the document's fields and the headers' middleware first. */
export function deprecatedRoute<R extends RouteConfig>(route: R, p: DeprecationPolicy): R {
  const middleware = route.middleware === undefined ? [] : Array.isArray(route.middleware) ? route.middleware : [route.middleware];
  return { ...route, deprecated: true, 'x-deprecated-since': p.since, 'x-sunset': p.sunset, middleware: [deprecation(p), ...middleware] } as R;
}
