/**
 * Which digests stand for a key: the one new records get, the ones a lookup tries, and how a
 * stored digest maps back to the verification cache's key. With a plain pepper (or none) a key
 * has one unversioned digest, as in 0.1. With a pepper ring, new digests carry the current
 * pepper's id (`p2$<hex>`), and a lookup also tries each previous pepper and, last, the
 * unversioned digest of the oldest pepper (0.1 records). Internal: not exported.
 *
 * The cache is keyed by the current pepper's bare hex, so a cache hit costs one HMAC whatever
 * the ring holds: the hot path never sees a previous pepper.
 * @module
 */
import { createKeyHasher } from '../hash.js'
import type { ResolvedPepperRing } from '../options/pepper.js'

/** The digests of keys under the configured pepper(s). */
export interface DigestScheme {
  /** The cache key of a key: hex digest under the current pepper. The hot path's one hash. */
  hash: (key: string) => string
  /** What a new record stores for a key whose {@link DigestScheme.hash} is `hex`. */
  stored: (hex: string) => string
  /**
   * Every stored digest the key may have, the current one first, then `next`'s, then the older
   * ones; `hex` is its {@link DigestScheme.hash}. One element without a ring.
   */
  candidates: (key: string, hex: string) => string[]
  /** How many of the candidates (from the start) are never re-keyed: current, and `next`. */
  readonly kept: number
  /** The cache key of a stored digest made with the current pepper; `undefined` for others. */
  cacheKeyOf: (stored: string) => string | undefined
  /** Whether lookups try more than one digest. */
  readonly rotating: boolean
  /** Pepper ids: current (`null` when its digests are unversioned), next, previous. */
  readonly ids: { current: string | null; next: string | null; previous: readonly string[] }
}

/** Builds the scheme of a plain pepper (or none) or of a ring. */
export function createDigestScheme(
  pepper: Uint8Array | undefined,
  ring: ResolvedPepperRing | undefined,
): DigestScheme {
  if (ring === undefined) {
    return {
      hash: createKeyHasher(pepper),
      stored: (hex) => hex,
      candidates: (_key, hex) => [hex],
      kept: 1,
      cacheKeyOf: (stored) => stored,
      rotating: false,
      ids: { current: null, next: null, previous: [] },
    }
  }
  const { current, next } = ring
  const hash = createKeyHasher(current.secret)
  const nextHash = next === undefined ? undefined : createKeyHasher(next.secret)
  const previous = ring.previous.map((p) => ({ id: p.id, hash: createKeyHasher(p.secret) }))
  const tag = current.id === undefined ? '' : `${current.id}$`
  // 0.1 digests carry no id: they were made with the oldest pepper listed (current if alone),
  // or with current itself when it writes them still (no id).
  const oldest = previous.at(-1)
  const kept = next === undefined ? 1 : 2
  return {
    hash,
    stored: (hex) => tag + hex,
    candidates: (key, hex) => {
      const digests = [tag + hex]
      if (next !== undefined) digests.push(`${next.id}$${(nextHash as (k: string) => string)(key)}`)
      let oldestHex = hex
      for (const p of previous) {
        oldestHex = p.hash(key)
        digests.push(`${p.id}$${oldestHex}`)
      }
      // 0.1 digests: with an unversioned current, they are its own (the first candidate).
      if (tag !== '') digests.push(oldestHex)
      return digests
    },
    kept,
    cacheKeyOf: (stored) => {
      if (tag !== '') {
        if (stored.startsWith(tag)) return stored.slice(tag.length)
        return oldest === undefined && !stored.includes('$') ? stored : undefined
      }
      return stored.includes('$') ? undefined : stored
    },
    rotating: kept + previous.length > 1 || tag !== '',
    ids: {
      current: current.id ?? null,
      next: next?.id ?? null,
      previous: previous.map((p) => p.id),
    },
  }
}
