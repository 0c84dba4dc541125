/**
 * The digest scheme's keying on a runtime without node:crypto (workerd without `nodejs_compat`):
 * the service loaded with node:crypto mocked away keys its cache by the hex digest
 * (`cacheKeying` in src/service/digest-scheme.ts, whose branch mutation testing found uncovered
 * on Node). The same answers as on Node: the stored digest is the SHA-256 (or HMAC) an outside
 * implementation computes, a second verification is a cache hit, and a revocation evicts.
 * The runtime suite (test/runtimes/) runs the real thing on workerd.
 */
import { createHash, createHmac } from 'node:crypto'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import type * as Library from '../../src/index.js'
import { registerSecret } from '../support/secret-scan.js'

const PEPPER = 'pepper-web-0123456789abcdefghijklmnopqrs'
registerSecret(PEPPER)

let lib: typeof Library
beforeAll(async () => {
  vi.resetModules()
  vi.doMock('../../src/lib/node-crypto.js', () => ({ nodeCrypto: undefined }))
  try {
    lib = await import('../../src/index.js')
  } finally {
    vi.doUnmock('../../src/lib/node-crypto.js')
    vi.resetModules()
  }
})

// A memory store that counts digest lookups.
function countingStore(): { store: Library.MemoryKeyStore; lookups: () => number } {
  const store = new lib.MemoryKeyStore()
  let lookups = 0
  const find = store.findByHash.bind(store)
  store.findByHash = (hash) => {
    lookups++
    return find(hash)
  }
  return { store, lookups: () => lookups }
}

describe('digest scheme without node:crypto', () => {
  for (const [label, pepper, digest] of [
    ['no pepper', undefined, (key: string) => createHash('sha256').update(key).digest('hex')],
    ['a pepper', PEPPER, (key: string) => createHmac('sha256', PEPPER).update(key).digest('hex')],
  ] as const) {
    it(`stores the outside digest, hits the cache and evicts on revocation (${label})`, async () => {
      const { store, lookups } = countingStore()
      const auth = lib.createApiKeyAuth({ store, logger: false, ...(pepper ? { pepper } : {}) })
      const { key, id } = await auth.createKey({ userId: 'u1', name: 'web', scopes: ['a'] })
      const [stored] = await store.listByUser('u1')
      expect(stored?.hash).toBe(digest(key))

      expect((await auth.verifyKey(key)).keyId).toBe(id)
      expect((await auth.verifyKey(key)).keyId).toBe(id)
      expect(lookups()).toBe(1)

      await auth.revokeKey({ userId: 'u1', keyId: id })
      await expect(auth.verifyKey(key)).rejects.toMatchObject({ code: 'KEY_REVOKED' })
    })
  }
})
