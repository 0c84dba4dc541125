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
   * Every stored digest the key may have, the current one first; `hex` is its
   * {@link DigestScheme.hash}. One element without previous peppers.
   */
  candidates: (key: string, hex: string) => string[]
  /** The cache key of a stored digest made with the current pepper; `undefined` for older ones. */
  cacheKeyOf: (stored: string) => string | undefined
  /** Whether lookups try more than one digest (a ring with previous peppers, or 0.1 records). */
  readonly rotating: boolean
  /** Pepper ids, current first; `[]` without a ring. */
  readonly ids: readonly string[]
}

/** Builds the scheme of a plain pepper (or none) or of a ring. */
export function createDigestScheme(
  pepper: Uint8Array | undefined,
  ring: ResolvedPepperRing | undefined,
): DigestScheme {
  if (ring === undefined) {
    const hash = createKeyHasher(pepper)
    return {
      hash,
      stored: (hex) => hex,
      candidates: (_key, hex) => [hex],
      cacheKeyOf: (stored) => stored,
      rotating: false,
      ids: [],
    }
  }
  const current = ring.current
  const hash = createKeyHasher(current.secret)
  const previous = ring.previous.map((p) => ({ id: p.id, hash: createKeyHasher(p.secret) }))
  const currentTag = `${current.id}$`
  // 0.1 digests carry no id: they were made with the oldest pepper the ring lists.
  const oldest = previous.at(-1)
  return {
    hash,
    stored: (hex) => currentTag + hex,
    candidates: (key, hex) => {
      const digests = [currentTag + hex]
      let oldestHex = hex
      for (const p of previous) {
        oldestHex = p.hash(key)
        digests.push(`${p.id}$${oldestHex}`)
      }
      digests.push(oldest === undefined ? hex : oldestHex)
      return digests
    },
    cacheKeyOf: (stored) => {
      if (stored.startsWith(currentTag)) return stored.slice(currentTag.length)
      return oldest === undefined && !stored.includes('$') ? stored : undefined
    },
    rotating: true,
    ids: [current.id, ...previous.map((p) => p.id)],
  }
}
