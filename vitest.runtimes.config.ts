import { configDefaults, defineConfig } from 'vitest/config'
import base from './vitest.config.js'

// `npm run test:runtimes`: the e2e table against the fetch server on Bun, Deno and workerd
// (test/runtimes), split from `npm test` for time only. CI runs both (.ci/run).
export default defineConfig({
  test: {
    ...base.test,
    include: ['test/runtimes/**/*.test.ts'],
    exclude: [...configDefaults.exclude],
    typecheck: { enabled: false },
  },
})
