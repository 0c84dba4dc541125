/**
 * LruCache (src/lib/lru-cache.ts) on its own: TTL edges, eviction order, the move slack, expired
 * heads released by `set`, `sweep` counts and a clock that steps back. Written against the
 * mutants that survived the service-level tests (docs/testing.md, mutation testing).
 */
import { describe, expect, it } from 'vitest'
import { LruCache } from '../../src/lib/lru-cache.js'

function keys(cache: LruCache<string>, names: readonly string[], now: number): string[] {
  return names.filter((k) => cache.get(k, now) !== undefined)
}

describe('LruCache', () => {
  it('an entry lives for exactly ttl after its read: alive at ttl - 1, gone at ttl', () => {
    const cache = new LruCache<string>(4, 100)
    cache.set('a', 'A', 1_000)
    expect(cache.get('a', 1_099)).toBe('A')
    expect(cache.size).toBe(1)
    expect(cache.get('a', 1_100)).toBeUndefined()
    // An expired entry found by `get` is dropped, not only hidden.
    expect(cache.size).toBe(0)
  })

  it('stores nothing when ttl or capacity is 0 or negative', () => {
    for (const [max, ttl] of [
      [0, 100],
      [-1, 100],
      [4, 0],
      [4, -5],
    ] as const) {
      const cache = new LruCache<string>(max, ttl)
      cache.set('a', 'A', 0)
      expect([max, ttl, cache.size, cache.get('a', 0)]).toEqual([max, ttl, 0, undefined])
    }
    // Nor a pair set out of order (the guard and the eviction loop each make sure of it).
    for (const ttl of [0, -5]) {
      const cache = new LruCache<string>(4, ttl)
      cache.set('a', 'A', 100)
      cache.set('b', 'B', 0)
      expect([ttl, cache.size]).toEqual([ttl, 0])
    }
    // Capacity 1 and ttl 1 are the smallest that store.
    const one = new LruCache<string>(1, 1)
    one.set('a', 'A', 0)
    expect(one.get('a', 0)).toBe('A')
  })

  it('holds at most maxEntries and evicts the least recently used (exact LRU below 16)', () => {
    const cache = new LruCache<string>(3, 1_000)
    cache.set('a', 'A', 0)
    cache.set('b', 'B', 0)
    cache.set('c', 'C', 0)
    expect(cache.size).toBe(3)
    // A hit on `a` makes `b` the oldest.
    expect(cache.get('a', 1)).toBe('A')
    cache.set('d', 'D', 1)
    expect(cache.size).toBe(3)
    expect(keys(cache, ['a', 'b', 'c', 'd'], 2)).toEqual(['a', 'c', 'd'])
  })

  it('with 15 entries a hit always moves the entry (slack 0)', () => {
    const cache = new LruCache<string>(15, 1_000)
    for (let i = 0; i < 15; i++) cache.set(`k${i}`, `v${i}`, 0)
    // k0 is the oldest; a hit right after one other set must still move it.
    expect(cache.get('k0', 1)).toBe('v0')
    cache.set('new', 'N', 1)
    expect(cache.get('k0', 1)).toBe('v0')
    expect(cache.get('k1', 1)).toBeUndefined()
  })

  it('from 16 entries a recently moved entry stays in place (slack maxEntries / 8)', () => {
    const cache = new LruCache<string>(16, 1_000)
    for (let i = 0; i < 16; i++) cache.set(`k${i}`, `v${i}`, 0)
    // k0 moved 15 moves ago: more than the slack of 2, so the hit moves it to the newest end.
    expect(cache.get('k0', 1)).toBe('v0')
    cache.set('n1', 'x', 1)
    expect(cache.get('k1', 1)).toBeUndefined()
    expect(cache.get('k0', 1)).toBe('v0')
    // k15 moved 2 moves ago (n1, then k0's move): within the slack, the hit leaves it in place,
    // so it is evicted before entries set after it.
    const cache2 = new LruCache<string>(16, 1_000)
    for (let i = 0; i < 16; i++) cache2.set(`k${i}`, `v${i}`, 0)
    cache2.set('n1', 'x', 0) // evicts k0; k15 is 1 move old
    cache2.set('n2', 'x', 0) // evicts k1; k15 is 2 moves old: not moved by a hit
    expect(cache2.get('k15', 1)).toBe('v15')
    for (let i = 0; i < 14; i++) cache2.set(`m${i}`, 'x', 1) // evicts k2..k15 in order
    expect(cache2.get('k15', 1)).toBeUndefined()
    // 3 moves old is beyond the slack: the hit moves it and it survives the same 14 sets.
    const cache3 = new LruCache<string>(16, 1_000)
    for (let i = 0; i < 16; i++) cache3.set(`k${i}`, `v${i}`, 0)
    cache3.set('n1', 'x', 0)
    cache3.set('n2', 'x', 0)
    cache3.set('n3', 'x', 0)
    expect(cache3.get('k15', 1)).toBe('v15')
    for (let i = 0; i < 14; i++) cache3.set(`m${i}`, 'x', 1)
    expect(cache3.get('k15', 1)).toBe('v15')
  })

  it('the slack is maxEntries >>> 3 (a 64-entry cache leaves 8 recent moves in place)', () => {
    const fill = (extra: number): LruCache<string> => {
      const cache = new LruCache<string>(64, 1_000)
      cache.set('t', 'T', 0)
      for (let i = 0; i < 63 + extra; i++) cache.set(`k${i}`, 'x', 0)
      return cache
    }
    // `t` is 63 moves old after the fill: the hit moves it, and it outlives 63 further sets.
    const moved = fill(0)
    expect(moved.get('t', 1)).toBe('T')
    for (let i = 0; i < 63; i++) moved.set(`m${i}`, 'x', 1)
    expect(moved.get('t', 1)).toBe('T')
    // Slack boundary: an entry exactly 8 moves old stays put, 9 moves old moves.
    const stays = new LruCache<string>(64, 1_000)
    for (let i = 0; i < 64; i++) stays.set(`k${i}`, 'x', 0)
    stays.set('t', 'T', 0) // evicts k0
    for (let i = 0; i < 8; i++) stays.set(`n${i}`, 'x', 0) // t is 8 moves old
    expect(stays.get('t', 1)).toBe('T')
    for (let i = 0; i < 64; i++) stays.set(`m${i}`, 'x', 1)
    expect(stays.get('t', 1)).toBeUndefined()
    const goes = new LruCache<string>(64, 1_000)
    for (let i = 0; i < 64; i++) goes.set(`k${i}`, 'x', 0)
    goes.set('t', 'T', 0)
    for (let i = 0; i < 9; i++) goes.set(`n${i}`, 'x', 0) // t is 9 moves old
    expect(goes.get('t', 1)).toBe('T')
    for (let i = 0; i < 63; i++) goes.set(`m${i}`, 'x', 1)
    expect(goes.get('t', 1)).toBe('T')
  })

  it('set replaces an existing key and refreshes its life from the new read', () => {
    const cache = new LruCache<string>(2, 100)
    cache.set('a', 'A1', 0)
    cache.set('b', 'B', 0)
    cache.set('a', 'A2', 50)
    expect(cache.size).toBe(2)
    expect(cache.get('a', 120)).toBe('A2')
    // `a` moved on the second set: a new key evicts `b`, not `a`.
    const lru = new LruCache<string>(2, 1_000)
    lru.set('a', 'A1', 0)
    lru.set('b', 'B', 0)
    lru.set('a', 'A2', 0)
    lru.set('c', 'C', 0)
    expect(keys(lru, ['a', 'b', 'c'], 1)).toEqual(['a', 'c'])
  })

  it('set releases at most two expired entries at the old end, and only expired ones', () => {
    const cache = new LruCache<string>(10, 100)
    cache.set('a', 'A', 0)
    cache.set('b', 'B', 0)
    cache.set('c', 'C', 0)
    cache.set('d', 'D', 50)
    // At 100, a, b and c have expired; one set releases two of them.
    cache.set('e', 'E', 100)
    expect(cache.size).toBe(3)
    // The next set releases the third; d (expires at 150) stays.
    cache.set('f', 'F', 100)
    expect(cache.size).toBe(3)
    expect(keys(cache, ['d', 'e', 'f'], 100)).toEqual(['d', 'e', 'f'])
    // An entry expiring exactly at the set's time counts as expired; one a tick later does not.
    const edge = new LruCache<string>(10, 100)
    edge.set('a', 'A', 0)
    edge.set('b', 'B', 1)
    edge.set('c', 'C', 100)
    expect(edge.size).toBe(2)
    expect(edge.get('b', 100)).toBe('B')
  })

  it('set stops at the first live head: an expired entry behind it waits for a sweep', () => {
    const cache = new LruCache<string>(10, 100)
    cache.set('live', 'L', 60)
    cache.set('old', 'O', 0) // set later but read earlier: expires first, sits behind `live`
    cache.set('x', 'X', 120)
    expect(cache.size).toBe(3)
    expect(cache.sweep(120)).toBe(1)
    expect(cache.size).toBe(2)
  })

  it('sweep drops every expired entry, counts them, and keeps the live ones', () => {
    const cache = new LruCache<string>(10, 100)
    cache.set('a', 'A', 0)
    cache.set('b', 'B', 10)
    cache.set('c', 'C', 20)
    expect(cache.sweep(109)).toBe(1)
    expect(cache.sweep(109)).toBe(0)
    expect(cache.size).toBe(2)
    expect(cache.sweep(120)).toBe(2)
    expect(cache.size).toBe(0)
  })

  it('delete and clear', () => {
    const cache = new LruCache<string>(4, 100)
    cache.set('a', 'A', 0)
    cache.set('b', 'B', 0)
    expect(cache.delete('a')).toBe(true)
    expect(cache.delete('a')).toBe(false)
    expect(cache.get('a', 0)).toBeUndefined()
    expect(cache.get('b', 0)).toBe('B')
    cache.clear()
    expect(cache.size).toBe(0)
  })

  it('a clock that steps back empties the cache, on get and on sweep; the same time does not', () => {
    const cache = new LruCache<string>(4, 1_000)
    cache.set('a', 'A', 100)
    expect(cache.get('a', 100)).toBe('A')
    expect(cache.get('a', 100)).toBe('A')
    expect(cache.get('a', 99)).toBeUndefined()
    expect(cache.size).toBe(0)

    const swept = new LruCache<string>(4, 1_000)
    swept.set('a', 'A', 100)
    swept.set('b', 'B', 100)
    expect(swept.sweep(200)).toBe(0)
    expect(swept.sweep(200)).toBe(0)
    expect(swept.size).toBe(2)
    expect(swept.sweep(199)).toBe(0)
    expect(swept.size).toBe(0)

    // `sweep` records the time too: a later `get` at an earlier time empties the cache.
    const mixed = new LruCache<string>(4, 1_000)
    mixed.set('a', 'A', 100)
    mixed.sweep(300)
    expect(mixed.get('a', 200)).toBeUndefined()
    // And `get` records it for `sweep`.
    const mixed2 = new LruCache<string>(4, 1_000)
    mixed2.set('a', 'A', 100)
    expect(mixed2.get('a', 300)).toBe('A')
    mixed2.sweep(200)
    expect(mixed2.size).toBe(0)
  })

  it('peek answers the value, expired or not, without moving or dropping it', () => {
    const cache = new LruCache<string>(2, 100)
    expect(cache.peek('a')).toBeUndefined()
    cache.set('a', 'A', 1_000)
    cache.set('b', 'B', 1_000)
    expect(cache.peek('a')).toBe('A')
    // Not moved: `a` is still the least recently used and goes first.
    cache.set('c', 'C', 1_010)
    expect(cache.peek('a')).toBeUndefined()
    expect(keys(cache, ['b', 'c'], 1_010)).toEqual(['b', 'c'])
    // Expired (read at 1 000 with ttl 100; the cache has been asked at 2 000 since): peek still
    // answers it, and leaves it in place; only `get` of that key or a sweep drops it.
    const idle = new LruCache<string>(2, 100)
    idle.set('e', 'E', 1_000)
    idle.set('f', 'F', 1_000)
    expect(idle.get('f', 2_000)).toBeUndefined()
    expect(idle.peek('e')).toBe('E')
    expect(idle.size).toBe(1)
    expect(idle.get('e', 2_000)).toBeUndefined()
    expect(idle.size).toBe(0)
  })
})

describe('LruCache.inPlace: values that are their own entries', () => {
  interface Slot {
    name: string
    lruExpiresAt: number
    lruStamp: number
  }
  const slot = (name: string): Slot => ({ name, lruExpiresAt: 0, lruStamp: 0 })

  it('stores and returns the value object itself, its life written on it', () => {
    const cache = LruCache.inPlace<Slot>(4, 100)
    const a = slot('a')
    cache.set('a', a, 1_000)
    expect(a.lruExpiresAt).toBe(1_100)
    expect(cache.get('a', 1_099)).toBe(a)
    expect(cache.peek('a')).toBe(a)
    expect(cache.get('a', 1_100)).toBeUndefined()
    expect(cache.size).toBe(0)
    // The wrapping cache leaves a value's own fields alone.
    const wrapping = new LruCache<Slot>(4, 100)
    const b = slot('b')
    wrapping.set('b', b, 1_000)
    expect(b.lruExpiresAt).toBe(0)
    expect(wrapping.get('b', 1_099)).toBe(b)
  })

  it('evicts, moves and sweeps as the wrapping cache does', () => {
    const run = (cache: LruCache<Slot>): string[] => {
      const out: string[] = []
      for (const [i, name] of ['a', 'b', 'c'].entries()) cache.set(name, slot(name), i)
      cache.get('a', 3)
      cache.set('d', slot('d'), 4)
      out.push(...['a', 'b', 'c', 'd'].filter((k) => cache.peek(k) !== undefined))
      out.push(`swept ${cache.sweep(1_003)}`, `size ${cache.size}`)
      return out
    }
    const inPlace = run(LruCache.inPlace<Slot>(3, 1_000))
    expect(inPlace).toEqual(run(new LruCache<Slot>(3, 1_000)))
    expect(inPlace).toEqual(['a', 'c', 'd', 'swept 2', 'size 1'])
  })
})
