import type { DeliveryOutcome, JobMessage, Queue } from './queue.js';

export type MemoryQueueHandler = (message: JobMessage, attempt: number) => Promise<DeliveryOutcome>;

interface Item {
  message: JobMessage;
  attempt: number;
  notBefore: number;
}

/**
 * The in-process queue (local server, tests): jobs run in this process, one at a time, first in first out. A delivery
 * the handler answers `retry` for comes back after an exponential backoff; the handler decides when to give up (it owns
 * the attempt limit, as the SQS worker does). Messages sent before a handler is wired wait for it.
 */
export class MemoryQueue implements Queue {
  readonly kind = 'memory' as const;
  private items: Item[] = [];
  private handler: MemoryQueueHandler | undefined;
  private running = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: { backoffMs?: (attempt: number) => number; onError?: (err: unknown) => void } = {}) {}

  setHandler(handler: MemoryQueueHandler) {
    this.handler = handler;
    this.pump();
  }

  async send(message: JobMessage, opts: { delaySeconds?: number } = {}) {
    if (this.closed) return;
    this.items.push({ message, attempt: 1, notBefore: Date.now() + (opts.delaySeconds ?? 0) * 1000 });
    this.pump();
  }

  /** Messages waiting or running (tests and the bench wait for zero). */
  get size() {
    return this.items.length + (this.running ? 1 : 0);
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async close() {
    this.closed = true;
    this.items = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.notifyIdle();
  }

  private backoff(attempt: number) {
    return this.opts.backoffMs ? this.opts.backoffMs(attempt) : Math.min(60_000, 1000 * 2 ** (attempt - 1));
  }

  private notifyIdle() {
    if (this.size !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private pump() {
    if (this.running || this.closed || !this.handler) return;
    const now = Date.now();
    const index = this.items.findIndex((i) => i.notBefore <= now);
    if (index < 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      if (!this.items.length) return this.notifyIdle();
      const next = Math.min(...this.items.map((i) => i.notBefore));
      this.timer = setTimeout(() => this.pump(), Math.max(0, next - now));
      this.timer.unref();
      return;
    }
    const [item] = this.items.splice(index, 1);
    this.running = true;
    const handler = this.handler;
    // Asynchronous: send() returns at once, the job runs on a later tick.
    setImmediate(async () => {
      let outcome: DeliveryOutcome = 'done';
      try {
        outcome = await handler(item!.message, item!.attempt);
      } catch (err) {
        this.opts.onError?.(err);
        outcome = 'retry';
      }
      this.running = false;
      if (outcome === 'retry' && !this.closed) {
        this.items.push({ message: item!.message, attempt: item!.attempt + 1, notBefore: Date.now() + this.backoff(item!.attempt) });
      }
      this.pump();
    });
  }
}
