/**
 * Pepper rotation in the service: versioned digests, lookups under previous peppers and 0.1
 * digests, re-keying on use, revocations of records not yet re-keyed, pepperStatus, options.
 */
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  createApiKeyAuth,
  isAuthError,
  MemoryKeyStore,
  type ApiKeyAuthOptions,
  type KeyStore,
} from '../../src/index.js'
import { registerKey, registerSecret } from '../support/secret-scan.js'
import { createStoreSpy } from '../support/store-spy.js'
import { codeOf } from '../support/setup.js'

const A = 'pepper-A-0123456789abcdefghijklmnopqrstuv'
const B = 'pepper-B-ZYXWVUTSRQPONMLKJIHGFEDCBA9876543'
const C = 'pepper-C-qwertyuiopasdfghjklzxcvbnm0123456'
for (const secret of [A, B, C]) registerSecret(secret)

const hmac = (secret: string, key: string): string =>
  createHmac('sha256', secret).update(key).digest('hex')

function make(store: ApiKeyAuthOptions['store'], pepper: ApiKeyAuthOptions['pepper']) {
  return createApiKeyAuth({ store, pepper, logger: false })
}

async function issue(auth: ReturnType<typeof make>, userId = 'u1'): Promise<string> {
  const { key } = await auth.createKey({ userId, name: 'k' })
  registerKey(key)
  return key
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5))

describe('pepper rotation', () => {
  it('new digests carry the current pepper id; a 0.1 digest of the same pepper is re-keyed', async () => {
    const store = new MemoryKeyStore()
    const old = await issue(make(store, A))
    const ring = make(store, { current: { id: 'p1', secret: A } })
    const fresh = await issue(ring)
    expect(await store.findByHash(`p1$${hmac(A, fresh)}`)).not.toBeNull()
    expect(await store.findByHash(hmac(A, old))).not.toBeNull()
    await ring.verifyKey(old)
    await settle()
    expect(await store.findByHash(hmac(A, old))).toBeNull()
    expect(await store.findByHash(`p1$${hmac(A, old)}`)).not.toBeNull()
  })

  it('0.1 string pepper → ring: old keys keep working and move to the new pepper on use', async () => {
    const store = new MemoryKeyStore()
    const v01 = make(store, A)
    const k0 = await issue(v01)
    const ring = make(store, {
      current: { id: 'p2', secret: B },
      previous: [{ id: 'p1', secret: A }],
    })
    const k1 = await issue(ring)
    expect(await ring.pepperStatus()).toEqual({
      current: 'p2',
      next: null,
      previous: ['p1'],
      records: { unversioned: 1, p2: 1 },
      retirable: [],
    })
    await ring.verifyKey(k0)
    await ring.verifyKey(k1)
    await settle()
    expect(await store.findByHash(`p2$${hmac(B, k0)}`)).not.toBeNull()
    expect(await ring.pepperStatus()).toMatchObject({ records: { p2: 2 }, retirable: ['p1'] })
    // Once re-keyed, the ring without p1 accepts it; the 0.1 instance no longer does.
    const next = make(store, { current: { id: 'p2', secret: B } })
    expect(await codeOf(() => next.verifyKey(k0))).toBe('resolved')
    expect(await codeOf(() => v01.verifyKey(k0))).toBe('KEY_NOT_FOUND')
  })

  it('a versioned previous pepper, two rotations deep', async () => {
    const store = new MemoryKeyStore()
    const k1 = await issue(make(store, { current: { id: 'p1', secret: A } }))
    const k2 = await issue(
      make(store, { current: { id: 'p2', secret: B }, previous: [{ id: 'p1', secret: A }] }),
    )
    const p3 = make(store, {
      current: { id: 'p3', secret: C },
      previous: [
        { id: 'p2', secret: B },
        { id: 'p1', secret: A },
      ],
    })
    expect((await p3.pepperStatus()).records).toEqual({ p1: 1, p2: 1 })
    await p3.verifyKey(k1)
    await p3.verifyKey(k2)
    await settle()
    expect(await p3.pepperStatus()).toEqual({
      current: 'p3',
      next: null,
      previous: ['p2', 'p1'],
      records: { p3: 2 },
      retirable: ['p2', 'p1'],
    })
  })

  it('next: accepted, never written, never re-keyed back (the accept phase of a rolling deploy)', async () => {
    const store = new MemoryKeyStore()
    const phase0 = make(store, A)
    const k0 = await issue(phase0)
    const accept = make(store, { current: { secret: A }, next: { id: 'p2', secret: B } })
    const k1 = await issue(accept)
    // The accept phase still writes what phase-0 instances read.
    expect(await store.findByHash(hmac(A, k1))).not.toBeNull()
    expect(await codeOf(() => phase0.verifyKey(k1))).toBe('resolved')
    const switched = make(store, {
      current: { id: 'p2', secret: B },
      previous: [{ id: 'p1', secret: A }],
    })
    const k2 = await issue(switched)
    await switched.verifyKey(k0)
    await settle()
    expect(await store.findByHash(`p2$${hmac(B, k0)}`)).not.toBeNull()
    // Accept-phase instances read what the switched ones wrote and re-keyed, and leave it there.
    for (const key of [k0, k1, k2])
      expect(await codeOf(() => accept.verifyKey(key))).toBe('resolved')
    await settle()
    expect(await store.findByHash(`p2$${hmac(B, k2)}`)).not.toBeNull()
    expect(await store.findByHash(`p2$${hmac(B, k0)}`)).not.toBeNull()
    expect(await accept.pepperStatus()).toMatchObject({ current: null, next: 'p2', retirable: [] })
  })

  it('rollKey stores the new key under the current pepper; org keys are found by revokeByKey', async () => {
    const store = new MemoryKeyStore()
    const k0 = await issue(make(store, A))
    const ring = createApiKeyAuth({
      store,
      pepper: { current: { id: 'p2', secret: B }, previous: [{ id: 'p1', secret: A }] },
      ownerTypes: ['user', 'org'],
      logger: false,
    })
    const old = await ring.lookupKey(k0)
    const rolled = await ring.rollKey({ userId: 'u1', keyId: old!.id, gracePeriodMs: 0 })
    registerKey(rolled.key)
    expect(await store.findByHash(`p2$${hmac(B, rolled.key)}`)).not.toBeNull()
    expect(await codeOf(() => ring.verifyKey(rolled.key))).toBe('resolved')
    const org = await ring.createKey({ ownerType: 'org', ownerId: 'acme', name: 'k' })
    registerKey(org.key)
    expect((await ring.revokeByKey(org.key)).status).toBe('revoked')
    expect(await codeOf(() => ring.verifyKey(org.key))).toBe('KEY_REVOKED')
  })

  it('plain SHA-256 (no pepper) → first pepper, with previous secret null', async () => {
    const store = new MemoryKeyStore()
    const k0 = await issue(make(store, null))
    const ring = make(store, {
      current: { id: 'p1', secret: A },
      previous: [{ id: 'none', secret: null }],
    })
    await ring.verifyKey(k0)
    await settle()
    expect(await store.findByHash(`p1$${hmac(A, k0)}`)).not.toBeNull()
  })

  it('one round trip with findByHashes; sequential findByHash without it; a hit asks nothing', async () => {
    const ringOptions = { current: { id: 'p2', secret: B }, previous: [{ id: 'p1', secret: A }] }
    const memory = new MemoryKeyStore()
    const k0 = await issue(make(memory, A))
    let many = 0
    const counting: KeyStore = {
      insert: (r) => memory.insert(r),
      findByHash: (h) => memory.findByHash(h),
      listByUser: (u) => memory.listByUser(u),
      revoke: (id, u, at, reason) => memory.revoke(id, u, at, reason),
      rehash: (id, from, to) => memory.rehash(id, from, to),
      findByHashes: (hashes) => {
        many++
        return memory.findByHashes(hashes)
      },
    }
    const ring = make(counting, ringOptions)
    await ring.verifyKey(k0)
    await ring.verifyKey(k0)
    expect(many).toBe(1)

    const spy = createStoreSpy()
    const k1 = await issue(make(spy.store, A))
    const sequential = make(spy.store, ringOptions)
    const before = spy.calls.findByHash
    await sequential.verifyKey(k1)
    // p2$…, p1$…, then the unversioned digest: found on the third.
    expect(spy.calls.findByHash - before).toBe(3)
    await sequential.verifyKey(k1)
    expect(spy.calls.findByHash - before).toBe(3)
  })

  it('a revocation of a record not yet re-keyed reaches a cache keyed by the new pepper', async () => {
    // The spy's store has no rehash: the record keeps its 0.1 digest.
    const spy = createStoreSpy()
    const k0 = await issue(make(spy.store, A))
    const ringOptions = { current: { id: 'p2', secret: B }, previous: [{ id: 'p1', secret: A }] }
    const a = make(spy.store, ringOptions)
    const b = make(spy.store, ringOptions)
    await b.verifyKey(k0)
    const [record] = await spy.memory.listByUser('u1')
    expect(record?.hash).toBe(hmac(A, k0))
    await a.revokeKey({ userId: 'u1', keyId: record!.id })
    expect(await codeOf(() => b.verifyKey(k0))).toBe('KEY_REVOKED')
  })

  it('revokeByKey and lookupKey find keys under previous peppers', async () => {
    const store = new MemoryKeyStore()
    const k0 = await issue(make(store, A))
    const ring = make(store, {
      current: { id: 'p2', secret: B },
      previous: [{ id: 'p1', secret: A }],
    })
    expect((await ring.lookupKey(k0))?.userId).toBe('u1')
    expect((await ring.revokeByKey(k0)).status).toBe('revoked')
    expect(await codeOf(() => ring.verifyKey(k0))).toBe('KEY_REVOKED')
  })

  it('pepperStatus without a ring, and with a store that cannot count', async () => {
    const store = new MemoryKeyStore()
    await issue(make(store, A))
    expect(await make(store, A).pepperStatus()).toEqual({
      current: null,
      next: null,
      previous: [],
      records: { unversioned: 1 },
      retirable: [],
    })
    const spy = createStoreSpy()
    expect(
      (await make(spy.store, { current: { id: 'p1', secret: A } }).pepperStatus()).records,
    ).toBeNull()
  })

  it.each([
    [{ current: { id: 'P1', secret: A } }],
    [{ current: { id: 'p1', secret: 'short' } }],
    [{ current: { id: 'p1', secret: A }, previous: [{ id: 'p1', secret: B }] }],
    [{ current: { id: 'p$1', secret: A } }],
    [{ current: { id: 'p1' } }],
    [{ current: { id: 'p1', secret: A }, extra: true }],
    [
      {
        current: { id: 'p1', secret: A },
        previous: Array.from({ length: 9 }, (_, i) => ({ id: `o${i}`, secret: B })),
      },
    ],
  ])('refuses a bad ring: %j', (pepper) => {
    let error: unknown
    try {
      make(new MemoryKeyStore(), pepper as never)
    } catch (e) {
      error = e
    }
    expect(isAuthError(error) && error.code).toBe('CONFIGURATION_ERROR')
    expect(String((error as Error).message)).not.toContain(A)
  })

  it('the ring is copied and never shown in auth.options', async () => {
    const ring = { current: { id: 'p1', secret: A }, previous: [{ id: 'p0', secret: B }] }
    const store = new MemoryKeyStore()
    const auth = make(store, ring)
    ring.current.secret = C
    const key = await issue(auth)
    expect(await store.findByHash(`p1$${hmac(A, key)}`)).not.toBeNull()
    expect(JSON.stringify(auth.options)).not.toContain('pepper-')
  })
})
