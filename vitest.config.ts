import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The differential and QEMU suites spawn many processes; two files at a time suits a 2-core machine.
    maxWorkers: 2,
    testTimeout: 30_000,
  },
});
