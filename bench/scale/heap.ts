/**
 * Heap per cached key: fill the verification cache with `n` verified keys and divide the heap
 * growth (after forced GCs) by the entries held. Needs `node --expose-gc`.
 */
import { performance } from 'node:perf_hooks'
import { createApiKeyAuth, type KeyStore, MemoryKeyStore } from '../../src/index.js'
import { generateKeys, recordOf } from '../http/keys.js'

export interface HeapResult {
  keys: number
  /** Positive cache entries and remembered `touch` times after the fill. */
  cached: number
  touched: number
  bytes: number
  fillMs: number
}

const gc = (globalThis as { gc?: () => void }).gc

export const canMeasureHeap = (): boolean => gc !== undefined

function heap(): number {
  gc?.()
  gc?.()
  return process.memoryUsage().heapUsed
}

/** Everything the service keeps per verified key: its cache entry and its `touch` time. */
export async function heapPerCachedKey(n: number): Promise<HeapResult> {
  const keys = generateKeys(n)
  const memory = new MemoryKeyStore()
  for (const [i, key] of keys.entries()) await memory.insert(recordOf(key, i))
  // The store's own records are in the baseline; `touch` is accepted but stores nothing, so
  // that only the service's memory grows.
  const store: KeyStore = {
    insert: (record) => memory.insert(record),
    findByHash: (hash) => memory.findByHash(hash),
    listByUser: (userId) => memory.listByUser(userId),
    revoke: (id, userId, at) => memory.revoke(id, userId, at),
    touch: async () => {},
  }
  const auth = createApiKeyAuth({ store, logger: false, cache: { maxEntries: n } })
  try {
    const base = heap()
    const started = performance.now()
    for (let start = 0; start < n; start += 256) {
      await Promise.all(keys.slice(start, start + 256).map((key) => auth.verifyKey(key)))
    }
    const fillMs = performance.now() - started
    const bytes = heap() - base
    const stats = auth.cacheStats()
    return { keys: n, cached: stats.positive, touched: stats.touched, bytes, fillMs }
  } finally {
    auth.close()
  }
}
