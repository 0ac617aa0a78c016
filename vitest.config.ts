import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: run files one or two at a time so that timing-sensitive system tests keep their margins.
    maxWorkers: 2,
    fileParallelism: true,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
  },
});
