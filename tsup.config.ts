import { existsSync } from 'node:fs'
import { defineConfig, type Options } from 'tsup'

// One entry per package subpath. An entry whose source does not exist yet is skipped here;
// publint then fails the build if package.json still points at it.
const entries: Record<string, string> = {
  index: 'src/index.ts',
  http: 'src/http/index.ts',
  'store-kit': 'src/store-kit.ts',
  testing: 'src/testing/index.ts',
  express: 'adapters/frameworks/express/index.ts',
  fastify: 'adapters/frameworks/fastify/index.ts',
  koa: 'adapters/frameworks/koa/index.ts',
  fetch: 'adapters/frameworks/fetch/index.ts',
  hono: 'adapters/frameworks/hono/index.ts',
  next: 'adapters/frameworks/next/index.ts',
  postgres: 'adapters/stores/postgres/index.ts',
  redis: 'adapters/stores/redis/index.ts',
  sqlite: 'adapters/stores/sqlite/index.ts',
  otel: 'adapters/telemetry/otel/index.ts',
}
// ESM only: the conformance kit imports vitest, which cannot be required, so package.json
// offers no `require` condition for it and no CommonJS build of it is made.
const ESM_ONLY = new Set(['testing'])

const existing = Object.entries(entries).filter(([, file]) => existsSync(file))
const common: Options = {
  dts: true,
  sourcemap: false,
  splitting: true,
  treeshake: true,
  target: 'node20',
  platform: 'node',
  outDir: 'dist',
}

// Two builds that run side by side, so neither may clean the output directory (one would delete
// the other's files): `npm run build` removes `dist` first.
export default defineConfig([
  { ...common, entry: Object.fromEntries(existing), format: ['esm'] },
  // The `vydra-auth` executable (package.json `bin`): ESM, no types; its store adapters and their
  // drivers are separate chunks imported only when a store URL names them.
  { ...common, dts: false, entry: { cli: 'adapters/cli/index.ts' }, format: ['esm'] },
  {
    ...common,
    entry: Object.fromEntries(existing.filter(([name]) => !ESM_ONLY.has(name))),
    format: ['cjs'],
  },
])
