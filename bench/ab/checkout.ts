/** What both A/B tools (bench/ab) build from a checkout: its service over the bench's keys. */
import { pathToFileURL } from 'node:url'
import { recordOf } from '../http/keys.js'

/** A checkout's modules, loaded from its `src/` and `adapters/` (TypeScript, through tsx). */
export async function importFrom<T>(root: string, path: string): Promise<T> {
  return (await import(pathToFileURL(`${root}/${path}`).href)) as T
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
