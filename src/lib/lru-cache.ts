/** A bounded LRU map with a TTL per entry. Internal: not exported from the package. */

/**
 * What the cache keeps of an entry besides its value. A value that has these fields itself can
 * be stored in place ({@link LruCache.inPlace}), with no wrapper object per entry.
 */
export interface LruSlot {
  /** `ttl` after the value was read, on the service's clock. */
  lruExpiresAt: number
  /** Value of the use counter when the entry last moved to the most-recent end. */
  lruStamp: number
}

// The wrapper of a value that is not stored in place.
interface Entry<V> extends LruSlot {
  value: V
}

/**
 * Least-recently-used map holding at most `maxEntries`, each entry for at most `ttlMs` after the
 * value was read, on the service's clock (injectable: tests and the `now` option move it).
 *
 * A clock that goes back would stretch every entry's life by the step (a revoked key kept for
 * 50 minutes after a one-hour step). So the cache remembers the latest time it was asked at, and
 * a reading earlier than that empties it: after a step back, every answer is read again. This
 * costs a comparison per hit, where reading a monotonic clock on every hit cost about 5 % of a
 * verification.
 */
export class LruCache<V> {
  // A Map iterates in insertion order: re-inserting on a hit keeps the oldest entry first.
  readonly #map = new Map<string, LruSlot>()
  // Values are their own entries (see `inPlace`): a hit reads one object fewer, which on a busy
  // server is one memory line fewer to wait for (docs/benchmarks.md, "Sixth session").
  #inPlace: boolean
  readonly #maxEntries: number
  readonly #ttlMs: number
  // Moving an entry costs a Map delete and set. An entry moved within the last `#slack` moves
  // is still far from eviction, so a hit leaves it in place: at most `#slack` newer entries can
  // sit behind it. Below 16 entries the slack is 0, which is exact LRU.
  readonly #slack: number
  #moves = 0
  /** The latest service-clock reading of a `get` or `sweep`. */
  #latest = Number.NEGATIVE_INFINITY

  constructor(maxEntries: number, ttlMs: number) {
    this.#inPlace = false
    this.#maxEntries = maxEntries
    this.#ttlMs = ttlMs
    this.#slack = maxEntries < 16 ? 0 : maxEntries >>> 3
  }

  /**
   * A cache whose values carry their own {@link LruSlot} fields, written by `set`: no wrapper
   * per entry. A value object must be stored under one key of one cache at a time.
   */
  static inPlace<V extends LruSlot>(maxEntries: number, ttlMs: number): LruCache<V> {
    const cache = new LruCache<V>(maxEntries, ttlMs)
    cache.#inPlace = true
    return cache
  }

  get size(): number {
    return this.#map.size
  }

  /** The value of `key`, expired or not, without moving it (for reports, not decisions). */
  peek(key: string): V | undefined {
    const entry = this.#map.get(key)
    return entry === undefined ? undefined : this.#valueOf(entry)
  }

  /** The live value for `key`, refreshed as most recently used; expired entries are dropped. */
  get(key: string, now: number): V | undefined {
    if (now < this.#latest) this.#steppedBack()
    this.#latest = now
    const entry = this.#map.get(key)
    if (entry === undefined) return undefined
    if (now >= entry.lruExpiresAt) {
      this.#map.delete(key)
      return undefined
    }
    if (this.#moves - entry.lruStamp > this.#slack) {
      entry.lruStamp = ++this.#moves
      this.#map.delete(key)
      this.#map.set(key, entry)
    }
    return this.#valueOf(entry)
  }

  /**
   * Stores `value` as read at `readAt`: pass the time the read *started*, so that a slow read
   * cannot stretch the entry's life.
   */
  set(key: string, value: V, readAt: number): void {
    if (this.#ttlMs <= 0 || this.#maxEntries <= 0) return
    const lruExpiresAt = readAt + this.#ttlMs
    const lruStamp = ++this.#moves
    let entry: LruSlot
    if (this.#inPlace) {
      entry = value as unknown as LruSlot
      entry.lruExpiresAt = lruExpiresAt
      entry.lruStamp = lruStamp
    } else {
      const wrapped: Entry<V> = { value, lruExpiresAt, lruStamp }
      entry = wrapped
    }
    this.#map.delete(key)
    this.#map.set(key, entry)
    const now = readAt
    // Evict the least recently used; also release up to two expired heads so that idle
    // entries do not wait for a sweep.
    let budget = 2
    for (const [oldestKey, oldest] of this.#map) {
      if (this.#map.size > this.#maxEntries || (budget-- > 0 && now >= oldest.lruExpiresAt)) {
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
    if (now < this.#latest) this.#steppedBack()
    this.#latest = now
    let dropped = 0
    for (const [key, entry] of this.#map) {
      if (now >= entry.lruExpiresAt) {
        this.#map.delete(key)
        dropped++
      }
    }
    return dropped
  }

  clear(): void {
    this.#map.clear()
  }

  #valueOf(entry: LruSlot): V {
    return this.#inPlace ? (entry as unknown as V) : (entry as Entry<V>).value
  }

  // Rare (a clock stepped back): forget everything rather than trust any life computed before.
  #steppedBack(): void {
    this.#map.clear()
  }
}
