/** Attack class CCH (docs/security.md): a revoked key served from a cache, stale or unbounded caches, lookup races. */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import {
  type ApiKeyRecord,
  createApiKeyAuth,
  generateApiKey,
  hashApiKey,
  MemoryKeyStore,
} from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'
import { createClock } from '../support/clock.js'
import { codeOf, recordFor, setup } from '../support/setup.js'
import { createStoreSpy } from '../support/store-spy.js'

/**
 * The garbage collector, so that heap figures measure what is retained. Exposed at run time
 * (V8 flag, then read from a fresh context), as the test runner's workers start without
 * `--expose-gc`.
 */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as unknown
  if (typeof gc !== 'function') throw new Error('could not expose the garbage collector')
  return gc as () => void
}

/** Two auth instances over one store, with separate caches and one clock. */
function twoInstances(options: { bus: boolean; ttlMs?: number }) {
  const memory = new MemoryKeyStore()
  const clock = createClock()
  const cache = { ttlMs: options.ttlMs ?? 30_000 }
  const a = setup({ clock, cache, spy: createStoreSpy({ memory, onRevoke: options.bus }) })
  const b = setup({ clock, cache, spy: createStoreSpy({ memory, onRevoke: options.bus }) })
  return { a, b, clock }
}

describe('CCH: caching and revocation', () => {
  it("CCH-01 revoking one of a user's two cached keys leaves the other working", async () => {
    const { auth, issue } = setup()
    const k1 = await issue()
    const k2 = await issue()
    await auth.verifyKey(k1.key)
    await auth.verifyKey(k2.key)
    expect(auth.cacheStats().positive).toBe(2)
    await auth.revokeKey({ userId: 'u123', keyId: k1.id })
    expect(await codeOf(() => auth.authenticate(`Bearer ${k1.key}`))).toBe('KEY_REVOKED')
    await expect(auth.authenticate(`Bearer ${k2.key}`)).resolves.toMatchObject({ keyId: k2.id })
  })

  it('CCH-02 a revoked key fails on the very next call on the same instance (warm cache)', async () => {
    // No onRevoke: the local revocation alone must evict.
    const { auth, spy, issue } = setup({ spy: { onRevoke: false } })
    const { key, id } = await issue()
    for (let i = 0; i < 3; i++) await auth.verifyKey(key)
    expect(spy.calls.findByHash).toBe(1)
    await auth.revokeKey({ userId: 'u123', keyId: id })
    expect(await codeOf(() => auth.verifyKey(key))).toBe('KEY_REVOKED')
  })

  it('CCH-03 without an invalidation bus another instance stops accepting exactly at the cache TTL', async () => {
    const { a, b, clock } = twoInstances({ bus: false, ttlMs: 30_000 })
    const { key, id } = await a.issue()
    await b.auth.verifyKey(key) // warm B
    clock.advance(1)
    await a.auth.revokeKey({ userId: 'u123', keyId: id })
    expect(await codeOf(() => a.auth.verifyKey(key))).toBe('KEY_REVOKED')
    // The documented bound: B may serve its cached entry until ttlMs after it was cached.
    clock.advance(30_000 - 2)
    await expect(b.auth.verifyKey(key)).resolves.toBeDefined()
    clock.advance(1)
    expect(await codeOf(() => b.auth.verifyKey(key))).toBe('KEY_REVOKED')
  })

  it('CCH-03 with onRevoke wired another instance rejects immediately', async () => {
    const { a, b } = twoInstances({ bus: true })
    const { key, id } = await a.issue()
    await b.auth.verifyKey(key)
    expect(b.auth.cacheStats().positive).toBe(1)
    await a.auth.revokeKey({ userId: 'u123', keyId: id })
    expect(b.auth.cacheStats().positive).toBe(0)
    expect(await codeOf(() => b.auth.verifyKey(key))).toBe('KEY_REVOKED')
    b.auth.close()
  })

  it('CCH-03 a revocation during an in-flight lookup keeps the stale answer out of the cache', async () => {
    const { a, b } = twoInstances({ bus: true })
    const { key, id } = await a.issue()
    const before = await b.spy.memory.findByHash(recordFor(key).hash)
    b.spy.findResult = () => before // the read happened before the revocation
    b.spy.behave.findByHash = { kind: 'defer' }
    const pending = b.auth.verifyKey(key)
    await a.auth.revokeKey({ userId: 'u123', keyId: id })
    await b.spy.release('findByHash')
    await pending // linearised before the revocation: allowed once
    expect(b.auth.cacheStats().positive).toBe(0)
    b.spy.findResult = undefined
    b.spy.behave.findByHash = { kind: 'real' }
    expect(await codeOf(() => b.auth.verifyKey(key))).toBe('KEY_REVOKED')
  })

  it('CCH-02 a cache hit decides like a miss: revoked, expired and under-scoped keys fail twice, the second time from the cache', async () => {
    const { auth, spy, clock } = setup()
    // Stored behind the instance's back, so no local revocation evicts anything.
    const revoked = generateApiKey('u123')
    const expiring = generateApiKey('u123')
    const narrow = generateApiKey('u123')
    await spy.memory.insert(recordFor(revoked, { revokedAt: new Date(clock.time - 1) }))
    await spy.memory.insert(recordFor(expiring, { expiresAt: new Date(clock.time + 1_000) }))
    await spy.memory.insert(recordFor(narrow, { scopes: ['models:read'] }))
    await auth.verifyKey(expiring)
    clock.advance(1_000)
    const cases: [string, string[] | undefined, string][] = [
      [revoked, undefined, 'KEY_REVOKED'],
      [expiring, undefined, 'KEY_EXPIRED'],
      [narrow, ['models:write'], 'INSUFFICIENT_SCOPE'],
    ]
    for (const [key, scopes, expected] of cases) {
      const options = scopes === undefined ? undefined : { scopes }
      expect(await codeOf(() => auth.verifyKey(key, options)), `miss: ${expected}`).toBe(expected)
    }
    const lookups = spy.calls.findByHash
    expect(auth.cacheStats().positive).toBe(3)
    for (const [key, scopes, expected] of cases) {
      const options = scopes === undefined ? undefined : { scopes }
      expect(await codeOf(() => auth.verifyKey(key, options)), `hit: ${expected}`).toBe(expected)
      expect(await codeOf(() => auth.authenticate(`Bearer ${key}`, options))).toBe(expected)
    }
    expect(spy.calls.findByHash).toBe(lookups)
    expect(spy.calls.touch).toBe(1) // the one successful verification above
  })

  it('CCH negative entries expire after the default negativeTtlMs (5 s), not later', async () => {
    const { auth, spy, clock } = setup()
    expect(auth.options.cache === false ? 0 : auth.options.cache.negativeTtlMs).toBe(5_000)
    const key = generateApiKey('u123')
    expect(await codeOf(() => auth.verifyKey(key))).toBe('KEY_NOT_FOUND')
    expect(auth.cacheStats().negative).toBe(1)
    clock.advance(4_999)
    expect(await codeOf(() => auth.verifyKey(key))).toBe('KEY_NOT_FOUND')
    expect(spy.calls.findByHash).toBe(1)
    clock.advance(1)
    expect(await codeOf(() => auth.verifyKey(key))).toBe('KEY_NOT_FOUND')
    expect(spy.calls.findByHash).toBe(2)
    // A sweep past the TTL drops the entry the last lookup left.
    clock.advance(5_000)
    auth.sweepCache()
    expect(auth.cacheStats().negative).toBe(0)
  })

  it('CCH-07 eviction is least-recently-used: exact below 16 entries, within maxEntries/8 moves above', async () => {
    // Which of two cached keys survives one eviction: `hit` was verified again after `other`.
    const survivor = async (maxEntries: number, between: number): Promise<'hit' | 'other'> => {
      const { auth, spy } = setup({ cache: { maxEntries } })
      const keys = Array.from({ length: maxEntries + 1 + between }, () => generateApiKey('u123'))
      for (const key of keys) await spy.memory.insert(recordFor(key))
      const [hit, other, ...rest] = keys as [string, string, ...string[]]
      await auth.verifyKey(hit)
      await auth.verifyKey(other)
      for (const key of rest.slice(0, between)) await auth.verifyKey(key)
      await auth.verifyKey(hit) // a hit, `between + 1` moves after it was cached
      for (const key of rest.slice(between)) await auth.verifyKey(key) // fills, then evicts one
      expect(auth.cacheStats().positive).toBe(maxEntries)
      const lookups = spy.calls.findByHash
      await auth.verifyKey(hit)
      return spy.calls.findByHash === lookups ? 'hit' : 'other'
    }
    // Exact LRU below 16 entries: the key just used survives.
    expect(await survivor(8, 0)).toBe('hit')
    expect(await survivor(15, 0)).toBe('hit')
    // From 16 entries a hit within the last maxEntries/8 moves (2 here) stays where it is
    // (moving it would cost more than it saves); an older one moves.
    expect(await survivor(16, 0)).toBe('other')
    expect(await survivor(16, 1)).toBe('other')
    expect(await survivor(16, 2)).toBe('hit')
  })

  it('CCH-07 after one entry moved, the next hit is judged by how many moves ago it was used', async () => {
    const { auth, spy } = setup({ cache: { maxEntries: 16 } })
    const keys = Array.from({ length: 19 }, () => generateApiKey('u123'))
    for (const key of keys) await spy.memory.insert(recordFor(key))
    const verify = (i: number): Promise<unknown> => auth.verifyKey(keys[i] as string)
    for (const i of [0, 1, 2, 3]) await verify(i)
    await verify(0) // 3 moves ago: moved to the newest end
    await verify(4)
    await verify(1) // 4 moves ago (two sets and one move since): moved too
    for (let i = 5; i < 18; i++) await verify(i) // 16 entries after the first 12, then 2 evictions
    const lookups = spy.calls.findByHash
    await verify(1)
    await verify(0)
    expect(spy.calls.findByHash).toBe(lookups) // both survived; keys 2 and 3 were evicted
    await verify(2)
    expect(spy.calls.findByHash).toBe(lookups + 1)
  })

  it('CCH-09 setting an entry releases up to two expired ones at the head, without a sweep', async () => {
    const { auth, spy, clock } = setup({ cache: { ttlMs: 1_000 } })
    const keys = Array.from({ length: 4 }, () => generateApiKey('u123'))
    for (const key of keys) await spy.memory.insert(recordFor(key))
    for (const key of keys.slice(0, 3)) await auth.verifyKey(key)
    expect(auth.cacheStats().positive).toBe(3)
    clock.advance(1_000) // the three expire exactly now
    await auth.verifyKey(keys[3] as string)
    expect(auth.cacheStats().positive).toBe(2) // two released, one left, one new
  })

  it('CCH ttlMs 0, maxEntries 0 or negativeTtlMs 0 cache nothing of that kind', async () => {
    // [cache option, positive entries, negative entries, store lookups for 2 × (key, unknown)]
    const cases: [Record<string, number>, number, number, number][] = [
      [{ ttlMs: 0 }, 0, 1, 3],
      // The negative cache holds at most maxEntries too, unless told otherwise.
      [{ maxEntries: 0 }, 0, 0, 4],
      [{ negativeTtlMs: 0 }, 1, 0, 3],
    ]
    for (const [cache, positive, negative, lookups] of cases) {
      const { auth, spy, issue } = setup({ cache })
      const { key } = await issue()
      const unknown = generateApiKey('u123')
      for (let i = 0; i < 2; i++) {
        await auth.verifyKey(key)
        expect(await codeOf(() => auth.verifyKey(unknown))).toBe('KEY_NOT_FOUND')
      }
      const stats = auth.cacheStats()
      expect([cache, stats.positive, stats.negative, spy.calls.findByHash]).toEqual([
        cache,
        positive,
        negative,
        lookups,
      ])
    }
  })

  it('CCH-07 remembered lastUsedAt times: max(maxEntries, 10 000), also with the cache off', async () => {
    for (const [cache, cap] of [
      [false, 10_000],
      [{ maxEntries: 10_050 }, 10_050],
    ] as const) {
      const { auth, spy } = setup({ cache })
      for (let i = 0; i < 10_100; i++) {
        const key = generateApiKey(`u${i}`)
        await spy.memory.insert(recordFor(key))
        await auth.verifyKey(key)
      }
      expect([cache, auth.cacheStats().touched]).toEqual([cache, cap])
    }
  })

  it('CCH-05 a lookup overtaken by a revocation does not unregister the lookup that replaced it', async () => {
    for (const outcome of ['answers', 'fails'] as const) {
      // A store whose lookups this test settles one by one.
      const memory = new MemoryKeyStore()
      const lookups: { resolve: (r: unknown) => void; reject: (e: unknown) => void }[] = []
      const listeners = new Set<(hash: string) => void>()
      const store = {
        insert: (r: ApiKeyRecord) => memory.insert(r),
        listByUser: (u: string) => memory.listByUser(u),
        revoke: (id: string, u: string, at: Date) => memory.revoke(id, u, at),
        findByHash: (h: string) =>
          new Promise<ApiKeyRecord | null>((resolve, reject) => {
            lookups.push({ resolve: () => resolve(memory.findByHash(h)), reject })
          }),
        onRevoke: (listener: (hash: string) => void) => {
          listeners.add(listener)
          return () => listeners.delete(listener)
        },
      }
      const auth = createApiKeyAuth({ store, logger: createLogSink().logger })
      const key = generateApiKey('u123')
      await memory.insert(recordFor(key))
      const first = auth.verifyKey(key).catch(() => 'failed')
      for (const listener of listeners) listener(hashApiKey(key)) // revoked elsewhere: evicts
      const second = auth.verifyKey(key)
      expect(lookups).toHaveLength(2)
      if (outcome === 'answers') lookups[0]?.resolve(null)
      else lookups[0]?.reject(new Error('late'))
      await first
      // The second lookup is still the one in flight: a third request joins it.
      const third = auth.verifyKey(key)
      expect([outcome, lookups.length, auth.cacheStats().inflight]).toEqual([outcome, 2, 1])
      lookups[1]?.resolve(null)
      await expect(second).resolves.toMatchObject({ userId: 'u123' })
      await expect(third).resolves.toMatchObject({ userId: 'u123' })
    }
  })

  it('CCH-05 100 concurrent requests for one uncached key make one store call', async () => {
    const { auth, spy, issue } = setup()
    const { key } = await issue()
    spy.behave.findByHash = { kind: 'defer' }
    const requests = Array.from({ length: 100 }, () => auth.authenticate(`Bearer ${key}`))
    expect(auth.cacheStats().inflight).toBe(1)
    await spy.release('findByHash')
    const results = await Promise.allSettled(requests)
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(100)
    expect(spy.calls.findByHash).toBe(1)
  })

  it('CCH-05 when that one call fails all 100 get 503 and nothing is cached', async () => {
    const { auth, spy, issue } = setup()
    const { key } = await issue()
    spy.behave.findByHash = { kind: 'defer' }
    const requests = Array.from({ length: 100 }, () => auth.authenticate(`Bearer ${key}`))
    spy.fail('findByHash', new Error('ECONNRESET'))
    const results = await Promise.allSettled(requests)
    const codes = results.map((r) =>
      r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok',
    )
    expect(codes).toEqual(Array.from({ length: 100 }, () => 'AUTH_UNAVAILABLE'))
    expect(spy.calls.findByHash).toBe(1)
    expect(auth.cacheStats()).toMatchObject({ positive: 0, negative: 0, inflight: 0 })
  })

  it('CCH-07 100 000 random well-formed keys keep the negative cache within its cap; valid keys still verify', async () => {
    const { auth, spy, issue } = setup()
    const { key } = await issue()
    const cap = auth.options.cache === false ? 0 : auth.options.cache.negativeMaxEntries
    expect(cap).toBe(10_000)
    const gc = exposeGc()
    gc()
    const heapBefore = process.memoryUsage().heapUsed
    for (let batch = 0; batch < 100; batch++) {
      const keys = Array.from({ length: 1000 }, () => generateApiKey('victim'))
      const results = await Promise.allSettled(keys.map((k) => auth.verifyKey(k)))
      if (results.some((r) => r.status === 'fulfilled')) throw new Error('a random key verified')
      expect(auth.cacheStats().negative).toBeLessThanOrEqual(cap)
    }
    expect(spy.calls.findByHash).toBe(100_000)
    expect(auth.cacheStats().negative).toBe(cap)
    expect(auth.cacheStats().inflight).toBe(0)
    await expect(auth.verifyKey(key)).resolves.toMatchObject({ userId: 'u123' })
    gc()
    // What stays is the capped cache: 10 000 entries, about 3 MB. Anything that keeps a
    // little per request (100 000 digests are another 8 MB) crosses the bound.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(8 * 1024 * 1024)
  })

  it('CCH-08 100 000 INVALID_FORMAT inputs leave the caches untouched and the store unasked', async () => {
    const { auth, spy, issue } = setup()
    const { key } = await issue()
    await auth.verifyKey(key)
    const before = auth.cacheStats()
    const lookups = spy.calls.findByHash
    const bad = [key.slice(0, -1), `${key}A`, key.replace('vydra', 'VYDRA'), `${key.slice(0, -1)}!`]
    for (let i = 0; i < 100_000; i++) {
      await auth
        .verifyKey(`${bad[i % bad.length]}${i % 7 === 0 ? '' : String(i)}`)
        .catch(() => undefined)
    }
    expect(auth.cacheStats()).toEqual(before)
    expect(spy.calls.findByHash).toBe(lookups)
  })

  it('CCH-09 after the TTLs pass a sweep releases every entry', async () => {
    const { auth, clock, issue } = setup({ cache: { ttlMs: 1_000, negativeTtlMs: 500 } })
    const keys = await Promise.all(Array.from({ length: 20 }, () => issue()))
    for (const { key } of keys) await auth.verifyKey(key)
    for (let i = 0; i < 50; i++)
      await auth.verifyKey(generateApiKey('nobody')).catch(() => undefined)
    expect(auth.cacheStats()).toMatchObject({ positive: 20, negative: 50 })
    clock.advance(500)
    auth.sweepCache()
    expect(auth.cacheStats()).toMatchObject({ positive: 20, negative: 0 })
    clock.advance(500)
    auth.sweepCache()
    expect(auth.cacheStats()).toMatchObject({ positive: 0, negative: 0 })
  })

  it('CCH negative results are cached only briefly and a newly created key is not shadowed', async () => {
    const { auth, spy, clock } = setup({ cache: { negativeTtlMs: 1_000 } })
    const key = generateApiKey('u123')
    expect(await codeOf(() => auth.verifyKey(key))).toBe('KEY_NOT_FOUND')
    expect(await codeOf(() => auth.verifyKey(key))).toBe('KEY_NOT_FOUND')
    expect(spy.calls.findByHash).toBe(1)
    // Inserted behind the instance's back (another instance created it): visible after the TTL.
    await spy.memory.insert(recordFor(key))
    clock.advance(1_000)
    await expect(auth.verifyKey(key)).resolves.toBeDefined()
    expect(spy.calls.findByHash).toBe(2)
  })

  it('CCH cache: false asks the store on every request', async () => {
    const { auth, spy, issue } = setup({ cache: false })
    const { key } = await issue()
    for (let i = 0; i < 5; i++) await auth.verifyKey(key)
    expect(spy.calls.findByHash).toBe(5)
    expect(auth.cacheStats()).toMatchObject({ positive: 0, negative: 0 })
  })

  it('CCH-07 the positive cache and the lastUsedAt bookkeeping are bounded too', async () => {
    const { auth, spy } = setup({ cache: { maxEntries: 100 } })
    const keys: string[] = []
    for (let i = 0; i < 10_100; i++) {
      const key = generateApiKey(`u${i}`)
      await spy.memory.insert(recordFor(key))
      keys.push(key)
    }
    for (const key of keys) await auth.verifyKey(key)
    const stats = auth.cacheStats()
    expect(stats.positive).toBe(100)
    // Remembered touch times are capped at max(maxEntries, 10 000).
    expect(stats.touched).toBe(10_000)
    expect(spy.calls.touch).toBe(10_100)
    // The least recently used key was evicted and is looked up again; the newest is a hit.
    const lookups = spy.calls.findByHash
    await auth.verifyKey(keys[keys.length - 1]!)
    expect(spy.calls.findByHash).toBe(lookups)
    await auth.verifyKey(keys[0]!)
    expect(spy.calls.findByHash).toBe(lookups + 1)
  })
})
