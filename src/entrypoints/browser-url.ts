/**
 * The address a browser should use. Cookies belong to a site: a page on http://localhost:5173 sends the API's
 * SameSite cookies to http://localhost:3000 but not to http://127.0.0.1:3000 (another site), so a server listening
 * on a loopback address is announced as `localhost`, the name the frontend's dev server uses too.
 */
const LOOPBACK = new Set(['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost', '']);

export function browserUrl(o: { host?: string; port: number; publicUrl?: string }): string {
  if (o.publicUrl) return o.publicUrl.replace(/\/+$/, '');
  const host = o.host ?? '';
  if (LOOPBACK.has(host)) return `http://localhost:${o.port}`;
  return `http://${host.includes(':') ? `[${host}]` : host}:${o.port}`;
}

export function startupBanner(url: string): string {
  return [
    `Daycare API: ${url}  (use this address in the browser and in the frontend's API URL: cookies are per site)`,
    `  reference: ${url}/docs   document: ${url}/openapi.json`,
  ].join('\n');
}
