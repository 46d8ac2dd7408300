import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM))('/docs in a real browser with no internet', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(() => srv?.close());

  it('renders every operation with Swagger UI from the API’s own assets, under its CSP, without leaving the origin', async () => {
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
      expect(await page.locator('.opblock').count()).toBe(operations);
      await expect.poll(() => page.locator('.opblock-summary-operation-id', { hasText: 'students.list' }).count()).toBeGreaterThan(0);
      expect(await page.locator('.info .title').innerText()).toContain('Daycare API');
      expect(problems).toEqual([]);
      expect(elsewhere).toEqual([]);
      await page.screenshot({ path: '/tmp/daycare-docs-test.png', fullPage: false }).catch(() => undefined);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
