import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each entry starts something the suites share (servers, a build) and stops it at the end.
    globalSetup: ['test/setup/servers.ts', 'test/setup/package.ts'],
    // Runs in every test file: fails a test during which the library logged a secret.
    setupFiles: ['test/setup/log-scan.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
})
