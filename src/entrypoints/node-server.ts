import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';

type Fetch = (req: Request, env: { incoming: IncomingMessage; outgoing: ServerResponse }) => Response | Promise<Response>;

export interface NodeServerOptions {
  port: number;
  host: string;
  /** An early answer (401, 403, 404, 413, 415) reads and discards a declared body up to this size first. */
  drainBytes?: number;
  /** …within this long; past either limit the answer says `Connection: close` instead. */
  drainMs?: number;
  /** A connection must send its request headers within this long (also a socket that never sends a byte). */
  headersTimeoutMs?: number;
  /** A whole request (headers and body) within this long. */
  requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs?: number;
}

export interface NodeServer {
  server: ServerType;
  port: number;
  /** Requests being answered now. */
  readonly inFlight: number;
  /**
   * Stops accepting, lets the requests in flight finish (each answer then says `Connection: close`), waits at most
   * `drainMs`, then cuts what is left. Resolves with the number of requests that were still running when cut.
   */
  shutdown(drainMs: number): Promise<number>;
}

/**
 * Hosts the app on Node (STACK pitfall 14): timeouts set deliberately, early answers delivered (the unread body is
 * drained first, so the client is not reset while still sending and the keep-alive connection stays usable), and a
 * shutdown that waits for the requests in flight.
 */
export function startNodeServer(fetch: Fetch, opts: NodeServerOptions): Promise<NodeServer> {
  const drainBytes = opts.drainBytes ?? 16 * 1024 * 1024;
  const drainMs = opts.drainMs ?? 10_000;
  let inFlight = 0;
  let closing = false;
  const idleWaiters: (() => void)[] = [];
  /** Accepted connections whose first request has not arrived yet, with when they were accepted. */
  const fresh = new Map<import('node:net').Socket, number>();

  const wrapped: Fetch = async (req, env) => {
    const { incoming, outgoing } = env;
    fresh.delete(incoming.socket);
    inFlight++;
    let done = false;
    const finished = () => {
      if (done) return;
      done = true;
      inFlight--;
      if (inFlight === 0) for (const w of idleWaiters.splice(0)) w();
    };
    outgoing.once('close', finished);
    outgoing.once('finish', finished);
    let res = await fetch(req, env);
    let close = closing;
    if (!incoming.complete && incoming.method !== 'GET' && incoming.method !== 'HEAD') {
      const declared = Number(incoming.headers['content-length']);
      const drained = Number.isFinite(declared) && declared <= drainBytes ? await drain(req, incoming, drainMs) : false;
      if (!drained) close = true;
    }
    if (close) res = withHeader(res, 'Connection', 'close');
    return res;
  };

  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: wrapped as never,
        port: opts.port,
        hostname: opts.host,
        serverOptions: {
          headersTimeout: opts.headersTimeoutMs ?? 10_000,
          requestTimeout: opts.requestTimeoutMs ?? 30_000,
          keepAliveTimeout: opts.keepAliveTimeoutMs ?? 5_000,
          connectionsCheckingInterval: Math.min(1000, opts.headersTimeoutMs ?? 1000),
        } as never,
      },
      (info: AddressInfo) => {
        server.off('error', reject);
        resolve({
          server,
          port: info.port,
          get inFlight() {
            return inFlight;
          },
          async shutdown(limitMs: number) {
            closing = true;
            const deadline = Date.now() + limitMs;
            // Take in the connections the kernel already completed (its accept queue) first: one turn of the event
            // loop's poll phase accepts them, where closing the listener now would reset them unanswered.
            await new Promise<void>((r) => setImmediate(r));
            // Stop accepting only. Not http's close(): it also drops "idle" connections, among them ones just
            // accepted whose request is still on the wire, and their clients would see a reset instead of an answer.
            netClose.call(server);
            const busy = () => inFlight > 0 || [...fresh.values()].some((at) => Date.now() - at < FRESH_GRACE_MS);
            while (busy() && Date.now() < deadline) {
              await new Promise<void>((r) => {
                const t = setTimeout(r, 20);
                idleWaiters.push(() => {
                  clearTimeout(t);
                  r();
                });
              });
            }
            const cut = inFlight;
            (server as import('node:http').Server).closeAllConnections?.();
            return cut;
          },
        });
      },
    );
    server.once('error', reject);
    server.on('connection', (socket: import('node:net').Socket) => {
      fresh.set(socket, Date.now());
      socket.once('close', () => fresh.delete(socket));
    });
  });
}

/** How long a shutdown waits for the first request of a connection accepted just before it. */
const FRESH_GRACE_MS = 1000;
const netClose = NetServer.prototype.close;

/** Reads and discards the rest of a request body; false when it did not end within the time limit. */
async function drain(req: Request, incoming: IncomingMessage, ms: number): Promise<boolean> {
  if (incoming.complete) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    // Through the Request's own stream when nobody took it (the adapter pauses the socket whenever that stream is
    // full, so reading the socket beside it would stall); else straight from the socket.
    const body = req.body && !req.body.locked ? req.body : null;
    const read = body ? readToEnd(body) : readSocket(incoming);
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function readToEnd(body: ReadableStream<Uint8Array>): Promise<boolean> {
  const reader = body.getReader();
  try {
    while (!(await reader.read()).done);
    return true;
  } catch {
    return false;
  } finally {
    reader.releaseLock();
  }
}

function readSocket(incoming: IncomingMessage): Promise<boolean> {
  return new Promise((resolve) => {
    incoming.once('end', () => resolve(true));
    incoming.once('error', () => resolve(false));
    incoming.on('data', noop);
    incoming.resume();
  });
}
const noop = () => undefined;

function withHeader(res: Response, name: string, value: string): Response {
  try {
    res.headers.set(name, value);
    return res;
  } catch {
    const copy = new Response(res.body, res);
    copy.headers.set(name, value);
    return copy;
  }
}
