import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, uniqueEmail, type TestServer } from '../helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM))('/docs in a real browser with no internet', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(() => srv?.close());

  it('renders every operation with Swagger UI from the API’s own assets, under its CSP, without leaving the origin; Try it out works signed in', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const origin = srv.url.replace('127.0.0.1', 'localhost');
      const context = await browser.newContext();
      const elsewhere: string[] = [];
      // No internet: anything not on the API's origin is refused (and recorded).
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(origin) || url.startsWith('data:')) return route.continue();
        elsewhere.push(url);
        return route.abort();
      });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      await page.goto(`${origin}/docs`);
      await page.waitForSelector('.opblock', { timeout: 30_000 });
      const doc = (await srv.agent().get('/openapi.json')).body;
      const operations = Object.values<any>(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
      // Swagger UI renders the operation blocks lazily as the page scrolls (139 of them now): it must have taken in every
      // operation of the document, and rendered the first ones.
      await expect.poll(() => page.evaluate(() => (window as any).ui.specSelectors.operations().size), { timeout: 30_000 }).toBe(operations);
      expect(await page.locator('.opblock').count()).toBeGreaterThan(0);
      await expect.poll(() => page.locator('.opblock-summary-operation-id', { hasText: 'auth.exchange' }).count()).toBeGreaterThan(0);
      expect(await page.locator('.info .title').innerText()).toContain('Daycare API');

      // "Try it out" on the same origin: signed in, an unsafe request is sent with the CSRF header the page adds.
      const token = await srv.token(uniqueEmail('docs'));
      const signedIn = await page.evaluate(async (accessToken) => {
        const r = await fetch('/auth/exchange', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accessToken }) });
        return r.status;
      }, token);
      expect(signedIn).toBe(200);
      // An unsafe operation of the first tag (blocks further down render only as the page scrolls to them): logout
      // answers 204 only with the X-CSRF-Token header the page adds (403 CSRF_FAILED without it).
      const op = page.locator('.opblock', { has: page.locator('.opblock-summary-operation-id', { hasText: /^auth\.logout$/ }) });
      await op.locator('.opblock-summary').first().click();
      await op.locator('.try-out__btn').click();
      await op.locator('button.execute').click();
      const status = op.locator('.live-responses-table .response .response-col_status').first();
      await status.waitFor({ timeout: 20_000 });
      expect((await status.innerText()).trim()).toBe('204');

      expect(problems).toEqual([]);
      expect(elsewhere).toEqual([]);
      await page.screenshot({ path: '/tmp/daycare-docs-test.png', fullPage: false }).catch(() => undefined);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
