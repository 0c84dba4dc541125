/**
 * The fast suites (unit, property, security, core HTTP) for mutation testing: no servers, no
 * package build, so StrykerJS can run them thousands of times. `npm run test:mutation`.
 */
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: [
      'test/*.test.ts',
      'test/property/**/*.test.ts',
      'test/security/**/*.test.ts',
      'test/http/**/*.test.ts',
      // Tests written against surviving mutants (test/mutation/equivalent.md lists the rest).
      'test/mutation-kills/**/*.test.ts',
    ],
    setupFiles: ['test/support/mutation.ts', 'test/support/log-scan.ts'],
    // One module graph for every run: StrykerJS switches mutants at run time, so src/ and its
    // dependencies are imported once per runner instead of once per mutant.
    isolate: false,
    // Instrumented code is several times slower: the 100 000-request tests need the room.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
})
