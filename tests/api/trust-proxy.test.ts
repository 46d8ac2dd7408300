import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { startServer, type TestServer } from '../helpers/server.js';

/**
 * TRUST_PROXY over real HTTP: the client address of the request log and of the per-IP sign-in limit comes from
 * X-Forwarded-For only when the peer (here 127.0.0.1) is a trusted proxy; otherwise the socket's, whatever the header says.
 */
describe.each([
  ['no TRUST_PROXY', {}, false],
  ['TRUST_PROXY=1 (one proxy in front)', { TRUST_PROXY: '1' }, true],
  ['TRUST_PROXY=127.0.0.0/8,::1 (the proxy by address)', { TRUST_PROXY: '127.0.0.0/8,::1' }, true],
  ['TRUST_PROXY=10.0.0.0/8 (another proxy; this peer is not it)', { TRUST_PROXY: '10.0.0.0/8' }, false],
] as const)('client address with %s', (_name, env, trusted) => {
  let srv: TestServer;
  beforeAll(async () => {
    // The in-process cache: each server's per-IP budgets are its own (on a shared Redis, 127.0.0.1's budget would
    // carry over from one case — and from other test files — to the next).
    srv = await startServer({ cache: 'memory', env: { ...env, RATE_LIMIT_AUTH_PER_MINUTE: '3' } });
  });
  afterAll(() => srv?.close());

  const capture = () => {
    const lines: Record<string, any>[] = [];
    srv.container.logger = createLogger('info', { write: (s: string) => lines.push(JSON.parse(s)) } as never);
    return lines;
  };
  const exchange = (forwardedFor?: string) =>
    fetch(`${srv.url}/auth/exchange`, { method: 'POST', headers: { 'content-type': 'application/json', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) }, body: '{"accessToken":"not-a-token"}' });

  it('the request log line names the forwarded client only through a trusted hop', async () => {
    const lines = capture();
    await fetch(`${srv.url}/health/live`, { headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.7' } });
    const line = lines.find((l) => l.msg === 'request')!;
    expect(line.ip).toBe(trusted ? '198.51.100.7' : '127.0.0.1');
  });

  it('the per-IP sign-in limit counts the forwarded client through a trusted hop, and a spoofed header escapes nothing otherwise', async () => {
    // Three attempts from one client use its minute's budget (RATE_LIMIT_AUTH_PER_MINUTE=3).
    for (let i = 0; i < 3; i++) expect((await exchange('198.51.100.20')).status).not.toBe(429);
    expect((await exchange('198.51.100.20')).status).toBe(429);
    // Another client behind the same proxy: its own budget when the proxy is trusted; the same (spent) one when the
    // header is not believed — a client cannot buy a new budget by inventing an address.
    const other = await exchange('198.51.100.21');
    expect(other.status === 429).toBe(!trusted);
  });
});
