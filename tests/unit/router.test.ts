import { describe, expect, it } from 'vitest';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { SmartRouter } from 'hono/router/smart-router';
import { TrieRouter } from 'hono/router/trie-router';
import { createApp } from '../../src/api/app.js';
import type { AppContainer } from '../../src/api/env.js';

describe('router', () => {
  // createApp passes Hono a TrieRouter: the one Hono's default SmartRouter would settle on for these routes, after
  // building a RegExpRouter on the first request only to find it cannot hold them. Same routes, same matches.
  const app = createApp({ config: { appOrigins: [], bodyLimit: 1024 } } as unknown as AppContainer);

  it('is a TrieRouter', () => {
    expect(app.router).toBeInstanceOf(TrieRouter);
  });

  it("is the router Hono's default would choose for the app's routes", () => {
    const smart = new SmartRouter<unknown>({ routers: [new RegExpRouter(), new TrieRouter()] });
    for (const r of app.routes) smart.add(r.method, r.path, r.handler);
    smart.match('GET', '/health/live');
    expect(smart.activeRouter).toBeInstanceOf(TrieRouter);
  });
});
