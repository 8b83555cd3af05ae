import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Fixtures (sshd, PostgreSQL, SMTP) are started per test file and killed by their own pid.
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
