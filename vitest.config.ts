import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The long corpora (thousands of real files) run with `npm run corpus`, not on every `npm test`.
    exclude: ['test/corpus/**', 'node_modules/**'],
    // The differential and QEMU suites spawn many processes; two files at a time suits a 2-core machine.
    maxWorkers: 2,
    testTimeout: 30_000,
  },
});
