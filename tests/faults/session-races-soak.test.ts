/**
 * The soak of the session races over HTTP (moved here from tests/api/ so `npm test` stays short): a refresh
 * racing a removal, suspension or demotion must never leave the member with the old rights, and logout must end every
 * access token the sign-in ever minted. Every interleaving of these races is played deterministically at the service
 * and the cache (tests/services/session-races.test.ts); this file throws real concurrent HTTP requests at the same
 * races, with random 0–9 ms offsets, to catch an ordering the model there does not have. Tens of rounds, on the
 * in-process cache and on a real Redis (a private redis-server of this test, so the machine's shared Redis is never
 * touched). The API runs in this process (startServer) against PGlite, or the PostgreSQL server of DATABASE_URL.
 */

import { HAS_REDIS_SERVER } from '../helpers/redis-server.js';
import type { CacheKind } from '../helpers/server.js';
import { sessionRaces } from '../helpers/session-races.js';

const CACHES: CacheKind[] = HAS_REDIS_SERVER ? ['memory', 'redis'] : ['memory'];

for (const cache of CACHES) sessionRaces(cache, { demotion: 50, suspension: 25, removal: 25, logout: 50 }, 300_000);
