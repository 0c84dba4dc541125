/**
 * Pepper rotation at lookup time (`src/service/pepper-rotation.ts`), written against surviving
 * mutants (docs/testing.md, mutation testing), all through the public API:
 * - the retirement report (`auth.pepperStatus().retirable`): a previous pepper is retirable once
 *   no record carries its id, and the oldest one only once no unversioned (0.1) record remains
 *   either, since those were made with it. The counts come from a store whose
 *   `countDigestVersions` answers what each case needs;
 * - a plain pepper's lookup is one `findByHash`; re-keying on use moves only records under an
 *   older pepper (never one under the current or the `next` pepper);
 * - the older-digest aliases that let a revocation of a record not yet re-keyed evict the cache:
 *   one per record found under an older digest, kept up to the bound (the cache's size, at least
 *   1,000), the oldest forgotten past it.
 */
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  type ApiKeyAuthOptions,
  createApiKeyAuth,
  type KeyStore,
  MemoryKeyStore,
} from '../../src/index.js'
import { registerKey, registerSecret } from '../support/secret-scan.js'
import { codeOf } from '../support/setup.js'
import { createStoreSpy } from '../support/store-spy.js'

const SECRETS = {
  p2: 'pepper-p2-0123456789abcdefghijklmnopqrstu',
  p1: 'pepper-p1-ZYXWVUTSRQPONMLKJIHGFEDCBA98765',
  p0: 'pepper-p0-abcdefghijklmnopqrstuvwxyz01234',
}
for (const secret of Object.values(SECRETS)) registerSecret(secret)

// A store that reports `counts` as its digest versions (`null`: it cannot count them).
function storeCounting(counts: Record<string, number> | null): MemoryKeyStore {
  const store = new MemoryKeyStore()
  if (counts === null) {
    Object.defineProperty(store, 'countDigestVersions', { value: undefined })
  } else {
    store.countDigestVersions = () => Promise.resolve({ ...counts })
  }
  return store
}

const RING: ApiKeyAuthOptions['pepper'] = {
  current: { id: 'p2', secret: SECRETS.p2 },
  previous: [
    { id: 'p1', secret: SECRETS.p1 },
    { id: 'p0', secret: SECRETS.p0 },
  ],
}

const retirable = async (
  counts: Record<string, number> | null,
  pepper: ApiKeyAuthOptions['pepper'] = RING,
): Promise<string[]> =>
  (await createApiKeyAuth({ store: storeCounting(counts), pepper, logger: false }).pepperStatus())
    .retirable

describe('which previous peppers can be retired', () => {
  it('every previous pepper, once only current-pepper records remain', async () => {
    expect(await retirable({ p2: 5 })).toEqual(['p1', 'p0'])
  })

  it('not one that a record still carries', async () => {
    expect(await retirable({ p2: 5, p1: 1 })).toEqual(['p0'])
    expect(await retirable({ p2: 5, p0: 2 })).toEqual(['p1'])
  })

  it('not the oldest while an unversioned record remains; a newer one still', async () => {
    expect(await retirable({ p2: 5, '': 3 })).toEqual(['p1'])
  })

  it('none when the store cannot count digest versions', async () => {
    expect(await retirable(null)).toEqual([])
  })

  it('none while the current pepper has no id (it still writes unversioned digests)', async () => {
    const accepting: ApiKeyAuthOptions['pepper'] = {
      current: { secret: SECRETS.p1 },
      next: { id: 'p2', secret: SECRETS.p2 },
    }
    expect(await retirable({ '': 4 }, accepting)).toEqual([])
    // Its unversioned digests cannot be told from those of the previous pepper: even with no
    // record counted at all, nothing is reported retirable.
    const unversioned: ApiKeyAuthOptions['pepper'] = {
      current: { secret: SECRETS.p1 },
      previous: [{ id: 'p0', secret: SECRETS.p0 }],
    }
    expect(await retirable({}, unversioned)).toEqual([])
  })
})

const hmac = (secret: string, key: string): string =>
  createHmac('sha256', secret).update(key).digest('hex')

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5))

// A memory store that counts `rehash` calls.
function rehashCounting(): { store: KeyStore; memory: MemoryKeyStore; rehashes: () => number } {
  const memory = new MemoryKeyStore()
  let rehashes = 0
  const store: KeyStore = {
    insert: (r) => memory.insert(r),
    findByHash: (h) => memory.findByHash(h),
    listByUser: (u) => memory.listByUser(u),
    revoke: (id, u, at, reason) => memory.revoke(id, u, at, reason),
    rehash: (id, from, to) => {
      rehashes++
      return memory.rehash(id, from, to)
    },
  }
  return { store, memory, rehashes: () => rehashes }
}

describe('lookups and re-keying on use', () => {
  it('a plain pepper: one findByHash per miss, and the key verifies', async () => {
    const spy = createStoreSpy()
    const auth = createApiKeyAuth({ store: spy.store, pepper: SECRETS.p2, logger: false })
    const { key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    const before = spy.calls.findByHash
    expect(await codeOf(() => auth.verifyKey(key))).toBe('resolved')
    expect(spy.calls.findByHash - before).toBe(1)
    expect(await spy.memory.findByHash(hmac(SECRETS.p2, key))).not.toBeNull()
  })

  it('a record under the current pepper is not re-keyed, even with previous peppers listed', async () => {
    const { store, rehashes } = rehashCounting()
    const writer = createApiKeyAuth({ store, pepper: RING, logger: false })
    const { key } = await writer.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    const reader = createApiKeyAuth({ store, pepper: RING, logger: false })
    expect(await codeOf(() => reader.verifyKey(key))).toBe('resolved')
    await settle()
    expect(rehashes()).toBe(0)
  })

  it('a record under `next` stays there, even with previous peppers listed', async () => {
    const { store, memory, rehashes } = rehashCounting()
    // Written by an instance that already switched to p3; read by one that accepts p3 as next.
    const switched = createApiKeyAuth({
      store,
      pepper: {
        current: { id: 'p3', secret: SECRETS.p0 },
        previous: [{ id: 'p2', secret: SECRETS.p2 }],
      },
      logger: false,
    })
    const { key } = await switched.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    const accepting = createApiKeyAuth({
      store,
      pepper: {
        current: { id: 'p2', secret: SECRETS.p2 },
        next: { id: 'p3', secret: SECRETS.p0 },
        previous: [{ id: 'p1', secret: SECRETS.p1 }],
      },
      logger: false,
    })
    expect(await codeOf(() => accepting.verifyKey(key))).toBe('resolved')
    await settle()
    expect(rehashes()).toBe(0)
    expect(await memory.findByHash(`p3$${hmac(SECRETS.p0, key)}`)).not.toBeNull()
    // A record under the older pepper is re-keyed by the same reader (the control case).
    const { key: old } = await createApiKeyAuth({
      store,
      pepper: SECRETS.p1,
      logger: false,
    }).createKey({
      userId: 'u2',
      name: 'k',
    })
    registerKey(old)
    expect(await codeOf(() => accepting.verifyKey(old))).toBe('resolved')
    await settle()
    expect(rehashes()).toBe(1)
    expect(await memory.findByHash(`p2$${hmac(SECRETS.p2, old)}`)).not.toBeNull()
  })
})

describe('older-digest aliases: a revocation of a record not yet re-keyed evicts, within a bound', () => {
  // Keys issued under plain pepper p1 (unversioned digests) on a store that cannot re-key (the
  // spy has no `rehash`), read by a ring whose current is p2: each verification finds the record
  // under its 0.1 digest and remembers that digest as an alias of the cache key. The bound is
  // max(cache.maxEntries, 1000): 1001 here.
  const MAX = 1001
  async function setUp(count: number, now: () => number) {
    const spy = createStoreSpy()
    const old = createApiKeyAuth({ store: spy.store, pepper: SECRETS.p1, logger: false })
    const keys: string[] = []
    for (let i = 0; i < count; i++) {
      keys.push((await old.createKey({ userId: `u${i}`, name: 'k' })).key)
    }
    registerKey(keys[0] as string)
    const ring = createApiKeyAuth({
      store: spy.store,
      pepper: {
        current: { id: 'p2', secret: SECRETS.p2 },
        previous: [{ id: 'p1', secret: SECRETS.p1 }],
      },
      cache: { maxEntries: MAX },
      now,
      logger: false,
    })
    const [record] = await spy.memory.listByUser('u0')
    const revokeFirst = () => old.revokeKey({ userId: 'u0', keyId: (record as { id: string }).id })
    return { keys, ring, revokeFirst }
  }

  it('up to the bound every record keeps its alias: the first one’s revocation evicts', async () => {
    // The bound counts the older digests of the lookup under way as well: during the last of
    // these 1000 lookups the table holds the 999 kept aliases and that lookup's own two older
    // digests (p1$… and the 0.1 one), 1001 in all, which the bound allows.
    const { keys, ring, revokeFirst } = await setUp(MAX - 1, () => 1_000)
    for (const key of keys) expect(await codeOf(() => ring.verifyKey(key))).toBe('resolved')
    await revokeFirst()
    expect(await codeOf(() => ring.verifyKey(keys[0] as string))).toBe('KEY_REVOKED')
  })

  it('past the bound the oldest alias is forgotten (memory stays bounded); the cache TTL then bounds the stale entry', async () => {
    let t = 1_000
    const { keys, ring, revokeFirst } = await setUp(MAX + 1, () => t)
    // The first key is verified first (its alias is the oldest), then used again after 200 other
    // misses, which moves it to the recent end of the cache: the cache keeps it when the next
    // misses overflow both, while the alias table drops it.
    for (const key of keys.slice(0, 201)) await ring.verifyKey(key)
    await ring.verifyKey(keys[0] as string)
    for (const key of keys.slice(201)) await ring.verifyKey(key)
    await revokeFirst()
    // Its old digest no longer maps to the cache key: the cached answer stands until its TTL.
    expect(await codeOf(() => ring.verifyKey(keys[0] as string))).toBe('resolved')
    t += 30_001
    expect(await codeOf(() => ring.verifyKey(keys[0] as string))).toBe('KEY_REVOKED')
  })
})
