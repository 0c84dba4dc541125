/** A bounded LRU map with a TTL per entry. Internal: not exported from the package. */

interface Entry<V> {
  value: V
  /** Wall-clock time (the service's clock) when the value was read. */
  storedAt: number
  /** `storedAt + ttl`, on the wall clock. */
  expiresAt: number
  /** `ttl` after the read on the monotonic clock: a wall-clock step cannot stretch a life. */
  monoExpiresAt: number
  /** Value of the use counter when the entry last moved to the most-recent end. */
  stamp: number
}

/** The monotonic clock, in ms. Read through `performance` at each call, so tests can fake it. */
export const monotonicNow = (): number => performance.now()

/**
 * Least-recently-used map holding at most `maxEntries`, each entry for at most `ttlMs` after the
 * value was read. An entry's life is bounded on two clocks: the service's clock (injectable, so
 * tests and `now` options move it) and the monotonic clock (so a wall clock stepped back cannot
 * keep an entry, say a revoked key, alive). An entry is also dropped when the service's clock
 * reads earlier than when the entry was stored.
 */
export class LruCache<V> {
  // A Map iterates in insertion order: re-inserting on a hit keeps the oldest entry first.
  readonly #map = new Map<string, Entry<V>>()
  readonly #maxEntries: number
  readonly #ttlMs: number
  // Moving an entry costs a Map delete and set. An entry moved within the last `#slack` moves
  // is still far from eviction, so a hit leaves it in place: at most `#slack` newer entries can
  // sit behind it. Below 16 entries the slack is 0, which is exact LRU.
  readonly #slack: number
  #moves = 0

  constructor(maxEntries: number, ttlMs: number) {
    this.#maxEntries = maxEntries
    this.#ttlMs = ttlMs
    this.#slack = maxEntries < 16 ? 0 : maxEntries >>> 3
  }

  get size(): number {
    return this.#map.size
  }

  /** The live value for `key`, refreshed as most recently used; expired entries are dropped. */
  get(key: string, now: number): V | undefined {
    const entry = this.#map.get(key)
    if (entry === undefined) return undefined
    if (!isLive(entry, now, monotonicNow())) {
      this.#map.delete(key)
      return undefined
    }
    if (this.#moves - entry.stamp > this.#slack) {
      entry.stamp = ++this.#moves
      this.#map.delete(key)
      this.#map.set(key, entry)
    }
    return entry.value
  }

  /**
   * Stores `value` as read at `readAt` (service clock) and `monoReadAt` (monotonic clock): pass
   * the times the read *started*, so that a slow read cannot stretch the entry's life.
   */
  set(key: string, value: V, readAt: number, monoReadAt: number): void {
    if (this.#ttlMs <= 0 || this.#maxEntries <= 0) return
    this.#map.delete(key)
    this.#map.set(key, {
      value,
      storedAt: readAt,
      expiresAt: readAt + this.#ttlMs,
      monoExpiresAt: monoReadAt + this.#ttlMs,
      stamp: ++this.#moves,
    })
    const now = readAt
    // Evict the least recently used; also release up to two expired heads so that idle
    // entries do not wait for a sweep.
    let budget = 2
    for (const [oldestKey, oldest] of this.#map) {
      if (this.#map.size > this.#maxEntries || (budget-- > 0 && now >= oldest.expiresAt)) {
        this.#map.delete(oldestKey)
      } else {
        break
      }
    }
  }

  delete(key: string): boolean {
    return this.#map.delete(key)
  }

  /** Drops every expired entry; returns how many were dropped. */
  sweep(now: number): number {
    const mono = monotonicNow()
    let dropped = 0
    for (const [key, entry] of this.#map) {
      if (!isLive(entry, now, mono)) {
        this.#map.delete(key)
        dropped++
      }
    }
    return dropped
  }

  clear(): void {
    this.#map.clear()
  }
}

function isLive(entry: Entry<unknown>, now: number, mono: number): boolean {
  return now < entry.expiresAt && now >= entry.storedAt && mono < entry.monoExpiresAt
}
