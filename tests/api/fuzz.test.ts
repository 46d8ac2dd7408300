/**
 * Nothing a client sends may produce a 500 (tests/helpers/fuzz.ts): 5 random inputs per route of the route table on
 * every run of `npm test`; the fault suite runs 25 per route (tests/faults/fuzz-soak.test.ts). fast-check draws new
 * inputs each run and prints the seed of a failure.
 */
import { fuzzEveryRoute } from '../helpers/fuzz.js';

fuzzEveryRoute(5, 30_000);
