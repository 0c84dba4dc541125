import { configDefaults, defineConfig } from 'vitest/config'
import base from './vitest.config.js'

// `npm run test:runtimes`: the e2e table against the fetch server on Bun, Deno and workerd
// (test/runtimes), split from `npm test` for time only. CI runs both (.ci/run). Its one global
// setup packs the package and installs the tarball for the bundles; it starts no database and
// installs none of the docs suites' consumers, which it does not use.
export default defineConfig({
  test: {
    ...base.test,
    include: ['test/runtimes/**/*.test.ts'],
    globalSetup: ['test/support/global-runtime-package.ts'],
    exclude: [...configDefaults.exclude],
    typecheck: { enabled: false },
  },
})
