import { existsSync } from 'node:fs'
import { defineConfig } from 'tsup'

// One entry per package subpath. An entry whose source does not exist yet is skipped here;
// publint then fails the build if package.json still points at it.
const entries: Record<string, string> = {
  index: 'src/index.ts',
  testing: 'src/testing/index.ts',
  express: 'adapters/express/index.ts',
  fastify: 'adapters/fastify/index.ts',
  koa: 'adapters/koa/index.ts',
  postgres: 'adapters/postgres/index.ts',
  redis: 'adapters/redis/index.ts',
  sqlite: 'adapters/sqlite/index.ts',
}

export default defineConfig({
  entry: Object.fromEntries(Object.entries(entries).filter(([, file]) => existsSync(file))),
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: false,
  splitting: true,
  treeshake: true,
  target: 'node20',
  platform: 'node',
  outDir: 'dist',
})
