/**
 * The fast suites (unit, property, security, core HTTP) for mutation testing: no servers, no
 * package build, so StrykerJS can run them thousands of times. `npm run test:mutation`.
 */
import { defineConfig } from 'vitest/config'

const FAST_SUITES = [
  'test/*.test.ts',
  'test/property/**/*.test.ts',
  'test/security/**/*.test.ts',
  'test/http/**/*.test.ts',
  // Unit tests of two mutated service modules (pepper-rotation.ts, revoke-by-key.ts) that live
  // with the leak tests. The other two there test the scanning route against a key-set server
  // and the documented scanner configurations: no mutated module of their own.
  'test/leaks/pepper-rotation.test.ts',
  'test/leaks/revoke-by-key.test.ts',
  // Tests written against surviving mutants (test/mutation/equivalent.md lists the rest).
  'test/mutation-kills/**/*.test.ts',
]

// One module at a time on a busy machine: `MUTATION_TESTS=<comma-separated files or globs>`
// replaces the list with the files that exercise that module (docs/testing.md). The dry run
// then runs only those, and a mutant only the tests among them that cover it. Fewer files can
// only kill fewer mutants: a narrowed score is a lower bound of the full run's.
const only = process.env['MUTATION_TESTS']?.split(',').filter((f) => f !== '')

export default defineConfig({
  test: {
    include: only !== undefined && only.length > 0 ? only : FAST_SUITES,
    setupFiles: ['test/support/mutation.ts', 'test/support/log-scan.ts'],
    // One module graph for every run: StrykerJS switches mutants at run time, so src/ and its
    // dependencies are imported once per runner instead of once per mutant.
    isolate: false,
    // Instrumented code is several times slower: the 100 000-request tests need the room.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
})
