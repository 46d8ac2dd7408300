import type { Cache } from '../adapters/cache/cache.js';
import type { PaymentsProvider } from '../adapters/payments/provider.js';
import type { Queue } from '../adapters/queue/queue.js';
import type { LocalFileServer, Storage } from '../adapters/storage/storage.js';
import type { Clock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { TokenService } from '../core/security/tokens.js';
import type { Database } from '../db/db.js';
import type { Notify } from './notify-port.js';

/**
 * What every service factory may take (each narrows it with Pick<> to what it uses). Only ports: the container decides
 * which cache, queue and storage stand behind them.
 */
export interface ServiceDeps {
  config: Config;
  logger: Logger;
  clock: Clock;
  db: Database;
  cache: Cache;
  tokens: TokenService;
  storage: Storage;
  queue: Queue;
  /** The API's own upload/download endpoints: only when the storage is one the API serves itself (local disk). */
  localFiles: LocalFileServer | undefined;
  /** Online payments (PAYMENTS_PROVIDER): hosted checkout, read-backs, refunds, webhook verification. */
  payments: PaymentsProvider;
  /** Writes in-app notifications and pending emails in the caller's transaction (services/notifications/); default: none. */
  notify?: Notify;
}
