/**
 * The pepper ring's digest scheme (`src/service/digest-scheme.ts`), written against surviving
 * mutants (docs/testing.md, mutation testing): which cache key a pushed stored digest maps to
 * (`cacheKeyOf`), observed through the revocation propagation probe, which, unlike eviction,
 * has no alias to fall back on: a key cached here whose revocation maps to its cache key is
 * read once more and reported to telemetry; one that maps to nothing is not.
 */
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  type ApiKeyAuthOptions,
  type AuthTelemetry,
  createApiKeyAuth,
  MemoryKeyStore,
} from '../../src/index.js'
import { registerKey, registerSecret } from '../support/secret-scan.js'

const A = 'pepper-A-0123456789abcdefghijklmnopqrstuv'
const B = 'pepper-B-ZYXWVUTSRQPONMLKJIHGFEDCBA9876543'
for (const secret of [A, B]) registerSecret(secret)

const hmac = (secret: string, key: string): string =>
  createHmac('sha256', secret).update(key).digest('hex')

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5))

// A service whose telemetry counts propagated revocations.
function service(store: MemoryKeyStore, pepper: ApiKeyAuthOptions['pepper']) {
  const propagated: number[] = []
  const calls: string[] = []
  const telemetry: AuthTelemetry = {
    verified: () => {},
    operation: (_name, run) => run(),
    storeCall: (operation) => void calls.push(operation),
    revocationPropagated: (ms) => void propagated.push(ms),
    attach: () => {},
  }
  const auth = createApiKeyAuth({ store, pepper, telemetry, logger: false })
  return { auth, propagated, calls }
}

// A memory store that never re-keys (as a store without `rehash`): records keep their digest.
function storeWithoutRehash(): MemoryKeyStore {
  const store = new MemoryKeyStore()
  Object.defineProperty(store, 'rehash', { value: undefined })
  return store
}

describe('digest scheme: the cache key of a pushed stored digest', () => {
  it('a versioned current pepper: its own digests map to the cached key', async () => {
    const store = new MemoryKeyStore()
    const { auth, propagated } = service(store, { current: { id: 'p1', secret: A } })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    expect(store.snapshot()[0]?.hash).toBe(`p1$${hmac(A, key)}`)
    await auth.verifyKey(key)
    await auth.revokeKey({ userId: 'u1', keyId: id })
    await settle()
    expect(propagated).toHaveLength(1)
    await auth.close()
  })

  it('an unversioned current pepper with a previous one: its bare digests map to the cached key', async () => {
    const store = new MemoryKeyStore()
    const { auth, propagated } = service(store, {
      current: { secret: A },
      previous: [{ id: 'p0', secret: B }],
    })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    expect(store.snapshot()[0]?.hash).toBe(hmac(A, key))
    await auth.verifyKey(key)
    await auth.revokeKey({ userId: 'u1', keyId: id })
    await settle()
    expect(propagated).toHaveLength(1)
    await auth.close()
  })

  it('a versioned current pepper alone: a 0.1 digest is its own, and maps to the cached key', async () => {
    const store = storeWithoutRehash()
    const v01 = createApiKeyAuth({ store, pepper: A, logger: false })
    const { id, key } = await v01.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    const { auth, propagated } = service(store, { current: { id: 'p1', secret: A } })
    await auth.verifyKey(key)
    await settle()
    expect(store.snapshot()[0]?.hash).toBe(hmac(A, key))
    await auth.revokeKey({ userId: 'u1', keyId: id })
    await settle()
    expect(propagated).toHaveLength(1)
    await Promise.all([v01.close(), auth.close()])
  })

  it("with a previous pepper, a bare digest is the oldest pepper's: it never maps to the current key", async () => {
    const store = new MemoryKeyStore()
    const { auth, propagated } = service(store, {
      current: { id: 'p1', secret: A },
      previous: [{ id: 'p0', secret: B }],
    })
    const { key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    // A second record whose bare digest is the current pepper's of the same key: no lookup
    // finds it (a bare digest stands for the oldest pepper), so its revocation concerns
    // nothing cached here.
    const original = store.snapshot()[0]
    if (original === undefined) throw new Error('no record')
    await store.insert({
      ...original,
      id: '00000000-0000-4000-8000-000000000001',
      hash: hmac(A, key),
    })
    await auth.verifyKey(key)
    await auth.revokeKey({ userId: 'u1', keyId: '00000000-0000-4000-8000-000000000001' })
    await settle()
    expect(propagated).toEqual([])
    expect((await auth.verifyKey(key)).keyId).toBe(original.id)
    await auth.close()
  })
})

describe('digest scheme: which digests a lookup tries', () => {
  it('a ring of one unversioned pepper looks up one digest, as without a ring', async () => {
    const { auth, calls } = service(new MemoryKeyStore(), { current: { secret: A } })
    const { key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    await auth.verifyKey(key)
    expect(calls.filter((c) => c.startsWith('find'))).toEqual(['findByHash'])
    await auth.close()
  })

  it('an unversioned current pepper with a previous one tries both in one round trip', async () => {
    const { auth, calls } = service(new MemoryKeyStore(), {
      current: { secret: A },
      previous: [{ id: 'p0', secret: B }],
    })
    const { key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    await auth.verifyKey(key)
    expect(calls.filter((c) => c.startsWith('find'))).toEqual(['findByHashes'])
    await auth.close()
  })

  it("with an unversioned current pepper, bare digests are its own, never the previous one's", async () => {
    const store = new MemoryKeyStore()
    // A 0.1 record made with B: under a ring whose unversioned current is A, a bare digest
    // stands for A, so B's bare digest is not tried (only `p0$` digests are B's).
    const v01 = createApiKeyAuth({ store, pepper: B, logger: false })
    const { key } = await v01.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    const { auth } = service(store, { current: { secret: A }, previous: [{ id: 'p0', secret: B }] })
    await expect(auth.verifyKey(key)).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' })
    await Promise.all([v01.close(), auth.close()])
  })
})
