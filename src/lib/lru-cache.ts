/** A bounded LRU map with a TTL per entry. Internal: not exported from the package. */

interface Entry<V> {
  value: V
  /** `ttl` after the value was read, on the service's clock. */
  expiresAt: number
  /** Value of the use counter when the entry last moved to the most-recent end. */
  stamp: number
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
  readonly #map = new Map<string, Entry<V>>()
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
    this.#maxEntries = maxEntries
    this.#ttlMs = ttlMs
    this.#slack = maxEntries < 16 ? 0 : maxEntries >>> 3
  }

  get size(): number {
    return this.#map.size
  }

  /** The value of `key`, expired or not, without moving it (for reports, not decisions). */
  peek(key: string): V | undefined {
    return this.#map.get(key)?.value
  }

  /** The live value for `key`, refreshed as most recently used; expired entries are dropped. */
  get(key: string, now: number): V | undefined {
    if (now < this.#latest) this.#steppedBack()
    this.#latest = now
    const entry = this.#map.get(key)
    if (entry === undefined) return undefined
    if (now >= entry.expiresAt) {
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
   * Stores `value` as read at `readAt`: pass the time the read *started*, so that a slow read
   * cannot stretch the entry's life.
   */
  set(key: string, value: V, readAt: number): void {
    if (this.#ttlMs <= 0 || this.#maxEntries <= 0) return
    this.#map.delete(key)
    this.#map.set(key, { value, expiresAt: readAt + this.#ttlMs, stamp: ++this.#moves })
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
    if (now < this.#latest) this.#steppedBack()
    this.#latest = now
    let dropped = 0
    for (const [key, entry] of this.#map) {
      if (now >= entry.expiresAt) {
        this.#map.delete(key)
        dropped++
      }
    }
    return dropped
  }

  clear(): void {
    this.#map.clear()
  }

  // Rare (a clock stepped back): forget everything rather than trust any life computed before.
  #steppedBack(): void {
    this.#map.clear()
  }
}
