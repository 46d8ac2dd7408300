import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, uniqueEmail, type TestServer } from '../helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';

/** The frontend's side of the flow, as a page on another localhost origin would run it. */
const PAGE = (api: string) => `<!doctype html><html><body><pre id="out">running</pre><script>
(async () => {
  const token = new URLSearchParams(location.search).get('token');
  const out = {};
  const call = async (method, path, body, csrf) => {
    const r = await fetch('${api}' + path, { method, credentials: 'include',
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(csrf ? { 'x-csrf-token': csrf } : {}) },
      body: body ? JSON.stringify(body) : undefined });
    let json = null; try { json = await r.json(); } catch {}
    return { status: r.status, json };
  };
  const ex = await call('POST', '/auth/exchange', { accessToken: token });
  out.exchange = ex.status;
  const csrf = ex.json.csrfToken;
  out.documentCookieHasSession = document.cookie.includes('__Host-session');
  out.contextBefore = (await call('GET', '/me/context')).status;
  out.postWithoutCsrf = (await call('POST', '/tenants', { name: 'No CSRF', timezone: 'UTC' })).status;
  const created = await call('POST', '/tenants', { name: 'Browser Centre', timezone: 'Europe/Paris' }, csrf);
  out.createTenant = created.status;
  const ctx = await call('GET', '/me/context');
  out.tenantName = ctx.json && ctx.json.tenant && ctx.json.tenant.name;
  out.refresh = (await call('POST', '/auth/refresh', null, created.json.csrfToken)).status;
  const ctx2 = await call('GET', '/me/context');
  out.logout = (await call('POST', '/auth/logout', null, ctx2.json.csrfToken)).status;
  out.contextAfter = (await call('GET', '/me/context')).status;
  document.getElementById('out').textContent = JSON.stringify(out);
  window.__done = out;
})().catch((e) => { window.__done = { error: String(e) }; });
</script></body></html>`;

describe.skipIf(!existsSync(CHROMIUM))('a real browser: sign in, read context, CSRF-protected POST, refresh, logout', () => {
  let srv: TestServer;
  let pages: http.Server;
  let pageOrigin: string;
  beforeAll(async () => {
    pages = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(PAGE(srv.url.replace('127.0.0.1', 'localhost')));
    });
    await new Promise<void>((r) => pages.listen(0, '127.0.0.1', r));
    pageOrigin = `http://localhost:${(pages.address() as AddressInfo).port}`;
    srv = await startServer({ env: { APP_ORIGINS: pageOrigin } });
  });
  afterAll(async () => {
    await srv?.close();
    await new Promise<void>((r) => pages.close(() => r()));
  });

  it('keeps the cookies HttpOnly/Secure/SameSite and works end to end', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const token = await srv.token(uniqueEmail('browser'));
      await page.goto(`${pageOrigin}/?token=${encodeURIComponent(token)}`);
      await page.waitForFunction(() => (window as any).__done, null, { timeout: 20_000 });
      const out = await page.evaluate(() => (window as any).__done);
      expect(out).toEqual({
        exchange: 200,
        documentCookieHasSession: false,
        contextBefore: 200,
        postWithoutCsrf: 403,
        createTenant: 201,
        tenantName: 'Browser Centre',
        refresh: 200,
        logout: 204,
        contextAfter: 401,
      });
      await page.screenshot({ path: '/tmp/daycare-browser-test.png' }).catch(() => undefined);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
