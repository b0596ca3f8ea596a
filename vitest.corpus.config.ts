import { defineConfig } from 'vitest/config';

/** `npm run corpus`: the slow tier, real corpora too large for every CI run (each file under test/corpus/). */
export default defineConfig({
  test: {
    include: ['test/corpus/**/*.test.ts'],
    maxWorkers: 2,
    testTimeout: 1_800_000,
  },
});
