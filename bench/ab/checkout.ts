/** What the A/B tools (bench/ab) build from a checkout: its modules, and its service over the bench's keys. */
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { recordOf } from '../http/keys.js'
import { BUNDLE_OPTIONS } from '../lib/bundle.js'
import { removeOnExit } from '../lib/cleanup.js'

// The entries a checkout is bundled with, in one build: modules they share (the service, the
// `AuthError` class) are one copy, as in the package, so `instanceof` and module state hold
// across them.
const ENTRIES = ['src/index.ts', 'src/http/index.ts', 'adapters/frameworks/fastify/index.ts']
const builds = new Map<string, Promise<string>>()

// Bundles `entries` of `root` as `npm run bench` bundles its sections (bench/index.ts: esbuild,
// Node 20, packages external) into the checkout's own node_modules/.cache, where its packages
// resolve; the folder is removed when the process exits. Not through tsx: tsx keeps function
// names by wrapping every function expression in a `__name` call, which made each closure a
// request creates cost several times what it costs in the package (docs/benchmarks.md, "Ninth
// session").
async function bundled(root: string, entries: readonly string[]): Promise<string> {
  const outdir = join(root, 'node_modules', '.cache', 'vydra-ab', `${process.pid}-${builds.size}`)
  mkdirSync(outdir, { recursive: true })
  removeOnExit(outdir)
  await build({
    entryPoints: Object.fromEntries(
      entries.map((path) => [path.replace(/\.ts$/, ''), join(root, path)]),
    ),
    outdir,
    ...BUNDLE_OPTIONS,
  })
  return outdir
}

/**
 * A module of a checkout (`path` relative to `root`, a `.ts` file), bundled as the bench bundles
 * itself; the three public entries above come from one build per checkout, any other path from
 * a build of its own.
 */
export async function importFrom<T>(root: string, path: string): Promise<T> {
  const shared = ENTRIES.includes(path)
  const id = shared ? resolve(root) : `${resolve(root)}\0${path}`
  let outdir = builds.get(id)
  if (outdir === undefined) {
    outdir = bundled(resolve(root), shared ? ENTRIES : [path])
    builds.set(id, outdir)
  }
  const file = join(await outdir, path.replace(/\.ts$/, '.mjs'))
  return (await import(pathToFileURL(file).href)) as T
}

/**
 * A checkout's service over a `MemoryKeyStore` holding `keys` (the bench's records), every key
 * verified once; `refresh` reads every key again (a cache entry lives 30 s from its read, a
 * tool's whole run longer: call it before each run).
 */
export async function serviceOf(root: string, keys: readonly string[]) {
  const lib = await importFrom<typeof import('../../src/index.js')>(root, 'src/index.ts')
  const store = new lib.MemoryKeyStore()
  for (const [j, key] of keys.entries()) await store.insert(recordOf(key, j))
  const auth = lib.createApiKeyAuth({ store, logger: false })
  const refresh = () => Promise.all(keys.map((key) => auth.verifyKey(key)))
  await refresh()
  return { auth, refresh }
}
