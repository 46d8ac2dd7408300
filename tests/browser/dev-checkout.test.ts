import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { ok, owingFamily } from '../api/payments.helpers.js';

const CHROMIUM = '/usr/bin/chromium';

/** The fake provider's /dev/checkout page in a real Chromium: Pay submits the form, the 303 lands on the app's returnUrl. */
describe.skipIf(!existsSync(CHROMIUM))('/dev/checkout in a real browser', () => {
  let srv: TestServer;
  let app: Server;
  let appUrl: string;
  beforeAll(async () => {
    // The "web app" the payer returns to: another origin, as in production.
    app = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>Back in the app</title><h1 id="back">Back in the app</h1>');
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    srv = await startServer({ env: { APP_URL: appUrl } });
  });
  afterAll(async () => {
    await srv?.close();
    await new Promise<void>((r) => app?.close(() => r()));
  });

  for (const [button, status] of [['Pay', 'succeeded'], ['Decline', 'failed']] as const) {
    it(`${button}: the form posts, the event goes through the webhook, the browser lands on returnUrl; the payment is ${status}`, async () => {
      const f = await owingFamily(srv, 4200);
      const returnUrl = `${appUrl}/billing/return?account=${f.account.id}`;
      const c = ok(await f.guardian.post(`/billing/accounts/${f.account.id}/checkout`, { returnUrl }), 201);
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error') problems.push(m.text());
        });
        page.on('pageerror', (e) => problems.push(String(e)));
        await page.goto(c.redirectUrl);
        expect(await page.locator('#amount').innerText()).toContain('42.00 USD');
        await Promise.all([page.waitForURL(returnUrl, { timeout: 20_000 }), page.getByRole('button', { name: button }).click()]);
        expect(await page.locator('#back').innerText()).toBe('Back in the app');
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
      expect(ok(await f.owner.get(`/billing/payments/${c.paymentId}`)).status).toBe(status);
      expect(ok(await f.owner.get(`/billing/accounts/${f.account.id}`)).balance).toBe(status === 'succeeded' ? 0 : 4200);
    }, 60_000);
  }
});
