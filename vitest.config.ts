import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each entry starts something the suites share (servers, a build) and stops it at the end.
    globalSetup: ['test/support/global-servers.ts', 'test/support/global-package.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
})
