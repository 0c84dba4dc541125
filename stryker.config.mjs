// StrykerJS over the core modules with the fast suites: `npm run test:mutation`
// (add `-- --incremental` to re-test only what changed since the last run). See docs/testing.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  coverageAnalysis: 'perTest',
  mutate: [
    // key format and checksum
    'src/api-key.ts',
    'src/lib/crc32.ts',
    'src/lib/base62.ts',
    // bearer parsing, scopes, errors and their HTTP form, hashing
    'src/bearer.ts',
    'src/scope.ts',
    'src/errors.ts',
    'src/error-response.ts',
    'src/hash.ts',
    // cache, verification, key management and the guarded store: the service modules issue 17
    // names, by name. The feature modules of later issues in src/service/ (limits, usage, events,
    // audit, telemetry, expiry, wiring) are left out of the default run; measure one with
    // `npx stryker run --mutate src/service/<file>.ts` (docs/testing.md).
    'src/lib/lru-cache.ts',
    'src/service/verification-cache.ts',
    'src/service/verifier.ts',
    'src/service/load-handlers.ts',
    // how verification reports a refusal (moved out of verifier.ts with the miss path, 16:18)
    'src/service/refusal-report.ts',
    'src/service/touch-throttle.ts',
    'src/service/clock.ts',
    'src/service/digest-scheme.ts',
    'src/service/pepper-rotation.ts',
    'src/service/key-manager.ts',
    'src/service/key-listing.ts',
    'src/service/key-update.ts',
    'src/service/key-lifecycle.ts',
    'src/service/revoke-by-key.ts',
    'src/service/key-owner.ts',
    'src/service/key-name.ts',
    'src/service/key-metadata.ts',
    'src/service/scope-registry.ts',
    'src/service/guarded-store.ts',
    'src/service/guarded-digests.ts',
    'src/service/guarded-lifecycle.ts',
    'src/create-api-key-auth.ts',
    // CSRF and sessions (the HTTP layer)
    'src/http/csrf.ts',
    'src/http/session/*.ts',
  ],
  // Two cores are the norm here; more processes only fight for them.
  concurrency: 2,
  timeoutMS: 5_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  thresholds: { high: 95, low: 90, break: 90 },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
}
