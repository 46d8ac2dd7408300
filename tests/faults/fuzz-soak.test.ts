/**
 * The long fuzz (moved here from tests/api/ so `npm test` stays short; `npm test` keeps 5 runs per route): 25 random
 * JSON bodies, ids and query strings per route of the route table, none may produce a 5xx (tests/helpers/fuzz.ts).
 * The API runs in this process (startServer) against PGlite, or the PostgreSQL server of DATABASE_URL.
 */
import { fuzzEveryRoute } from '../helpers/fuzz.js';

fuzzEveryRoute(25, 120_000);
