// The package's public entry points, read from package.json `exports` so that every script and
// test covers exactly what is published. Subpath `./x` is built from
// `adapters/frameworks/x/index.ts` (inbound), `adapters/stores/x/index.ts` or
// `adapters/telemetry/x/index.ts` (outbound),
// except `.` (src/index.ts), `./http` (src/http/index.ts, the adapter kit), `./store-kit`
// (src/store-kit.ts, the lifecycle rules for store authors) and `./testing`
// (src/testing/index.ts), as in tsup.config.ts.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = dirname(dirname(fileURLToPath(import.meta.url)))

const SOURCES = {
  index: 'src/index.ts',
  http: 'src/http/index.ts',
  'store-kit': 'src/store-kit.ts',
  testing: 'src/testing/index.ts',
}

/**
 * `{ name, subpath, specifier, source, cjs }` for every subpath of `exports` except package.json;
 * `cjs` is whether it offers a `require` condition (`./testing` is ESM-only).
 */
export function packageEntries() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  return Object.keys(pkg.exports)
    .filter((subpath) => subpath !== './package.json')
    .map((subpath) => {
      const name = subpath === '.' ? 'index' : subpath.slice(2)
      return {
        name,
        subpath,
        specifier: subpath === '.' ? pkg.name : `${pkg.name}/${name}`,
        source: SOURCES[name] ?? adapterSource(name),
        cjs: 'require' in pkg.exports[subpath],
      }
    })
}

/** Entries whose source exists (every entry, in a complete checkout). */
export function existingEntries() {
  return packageEntries().filter((entry) => existsSync(join(root, entry.source)))
}

const FRAMEWORKS = new Set(['express', 'fastify', 'koa', 'fetch', 'hono', 'next'])
// Telemetry adapters (outbound, like stores): `./otel`.
const TELEMETRY = new Set(['otel'])

function adapterSource(name) {
  const kind = FRAMEWORKS.has(name) ? 'frameworks' : TELEMETRY.has(name) ? 'telemetry' : 'stores'
  return `adapters/${kind}/${name}/index.ts`
}
