/**
 * The Node host (issue 11, items 2, 4 and 7) over real sockets: early answers (401, 403, 404, 413, 415) to ~1 MB
 * bodies reach the client and leave the keep-alive connection usable (or closed cleanly), repeatedly; a socket that
 * never sends a byte is closed; a shutdown answers every request in flight.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { startNodeServer, type NodeServer } from '../../src/entrypoints/node-server.js';
import { newTenant, startServer, type TestServer } from '../helpers/server.js';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A keep-alive HTTP/1.1 connection driven by hand. */
class Conn {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  error: Error | undefined;
  readonly socket: net.Socket;
  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    this.socket.on('error', (e) => {
      this.error = e;
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }
  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }
  ready() {
    return new Promise<void>((r) => (this.socket.readyState === 'open' ? r() : this.socket.once('connect', () => r())));
  }
  /** Sends a request, the body in 64 KB chunks a few ms apart (a client on a real network). */
  async send(method: string, path: string, headers: Record<string, string>, body?: Buffer) {
    const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    if (body) lines.push(`Content-Length: ${body.length}`);
    this.socket.write(lines.join('\r\n') + '\r\n\r\n');
    if (!body) return;
    for (let i = 0; i < body.length && !this.closed && !this.error; i += 65536) {
      await new Promise<void>((r) => this.socket.write(body.subarray(i, i + 65536), () => r()));
      await new Promise((r) => setTimeout(r, 40));
    }
  }
  async response(timeoutMs = 10_000): Promise<RawResponse> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.buf.subarray(0, end).toString('latin1').split('\r\n');
        const status = Number(head[0]!.split(' ')[1]);
        const headers: Record<string, string> = {};
        for (const l of head.slice(1)) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
        const len = Number(headers['content-length'] ?? 0);
        if (this.buf.length >= end + 4 + len) {
          const body = this.buf.subarray(end + 4, end + 4 + len).toString('utf8');
          this.buf = this.buf.subarray(end + 4 + len);
          return { status, headers, body };
        }
      }
      if (this.error) throw this.error;
      if (this.closed) throw new Error('connection closed before a full response');
      if (Date.now() > until) throw new Error('no response');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }
  end() {
    this.socket.destroy();
  }
}

describe('the Node host', () => {
  let srv: TestServer;
  let host: NodeServer;
  let cookie: string;
  beforeAll(async () => {
    srv = await startServer();
    host = await startNodeServer(createApp(srv.container).fetch as never, { port: 0, host: '127.0.0.1', headersTimeoutMs: 1000 });
    const t = await newTenant(srv);
    cookie = [...t.owner.cookies.values()].map((c) => `${c.name}=${encodeURIComponent(c.value)}`).join('; ');
  });
  afterAll(async () => {
    await host.shutdown(1000);
    await srv.close();
  });

  const MB = Buffer.alloc(1024 * 1024 - 100, 'a');
  const json = Buffer.concat([Buffer.from('{"name":"'), MB, Buffer.from('","capacity":1}')]);
  const cases: [string, string, string, Record<string, string>, Buffer, number][] = [
    ['401 without a session', 'POST', '/rooms', { 'Content-Type': 'application/json' }, json, 401],
    ['403 with a wrong CSRF token', 'POST', '/rooms', { 'Content-Type': 'application/json', 'X-CSRF-Token': 'wrong' }, json, 403],
    ['404 for no route', 'POST', '/nowhere', { 'Content-Type': 'application/json' }, json, 404],
    ['413 over the body limit', 'POST', '/rooms', { 'Content-Type': 'application/json' }, Buffer.concat([json, json]), 413],
    ['415 for a body that is not JSON', 'POST', '/rooms', { 'Content-Type': 'text/plain' }, json, 415],
  ];

  it.each(cases)('an early %s reaches the client, and the connection stays usable (3 times)', async (_n, method, path, headers, body, status) => {
    const h = { ...headers, ...(status === 403 ? { Cookie: cookie } : {}) };
    for (let round = 0; round < 3; round++) {
      const c = new Conn(host.port);
      await c.ready();
      try {
        await c.send(method, path, h, body);
        const res = await c.response();
        expect(res.status).toBe(status);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(JSON.parse(res.body).error.code).toBeTruthy();
        // A body within the drain limit is read to its end first, so the connection stays open for the next request.
        expect(res.headers.connection?.toLowerCase()).not.toBe('close');
        await c.send('GET', '/health/live', {});
        expect((await c.response()).status).toBe(200);
      } finally {
        c.end();
      }
    }
  }, 60_000);

  it('closes a socket that never sends a byte (headers timeout)', async () => {
    const c = new Conn(host.port);
    await c.ready();
    const started = Date.now();
    for (let i = 0; i < 60 && !c.closed; i++) await new Promise((r) => setTimeout(r, 100));
    expect(c.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a shutdown answers the requests in flight (with Connection: close) and refuses new ones', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = await startNodeServer(
      async () => {
        await gate;
        return new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } });
      },
      { port: 0, host: '127.0.0.1' },
    );
    const inFlight = [1, 2, 3].map(() => fetch(`http://127.0.0.1:${slow.port}/x`));
    while (slow.inFlight < 3) await new Promise((r) => setTimeout(r, 10));
    const stopped = slow.shutdown(5000);
    await new Promise((r) => setTimeout(r, 100));
    await expect(fetch(`http://127.0.0.1:${slow.port}/x`)).rejects.toThrow();
    release();
    for (const r of await Promise.all(inFlight)) {
      expect(r.status).toBe(200);
      expect(r.headers.get('connection')).toBe('close');
    }
    expect(await stopped).toBe(0);
  });
});
