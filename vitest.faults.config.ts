import { defineConfig } from 'vitest/config';

/** The fault suite (`npm run test:faults`): its own PostgreSQL cluster, Redis and server process; one file at a time. */
export default defineConfig({
  test: {
    include: ['tests/faults/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
    reporters: ['default'],
  },
});
