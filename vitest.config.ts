import { configDefaults, defineConfig } from 'vitest/config'

// Type tests: `expectTypeOf` only checks something when tsc reads it, so these files are
// type-checked by vitest (typecheck mode) instead of being run.
const TYPE_TESTS = ['test/adapters/types.test.ts']
// The same e2e table on Bun, Deno and workerd takes about 2 minutes on its own: it runs under
// `npm run test:runtimes` (vitest.runtimes.config.ts), which CI runs after `npm test`, so that
// `npm test` stays under 5 minutes on 2 cores.
export const RUNTIME_TESTS = ['test/runtimes/**']

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...TYPE_TESTS, ...RUNTIME_TESTS],
    typecheck: { enabled: true, include: TYPE_TESTS, tsconfig: 'tsconfig.json' },
    // Each entry starts something the suites share (servers, a build) and stops it at the end.
    globalSetup: ['test/support/global-servers.ts', 'test/support/global-package.ts'],
    // Runs in every test file: fails a test during which the library logged a secret.
    setupFiles: ['test/support/log-scan.ts'],
    // vitest's own output, then one line of what ran per kind (unit, e2e per framework, …).
    reporters: ['default', './test/support/kind-reporter.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
})
