/**
 * Which digests stand for a key: the one new records get, the ones a lookup tries, and how a
 * stored digest maps back to the verification cache's key. With a plain pepper (or none) a key
 * has one unversioned digest, as in 0.1. With a pepper ring, new digests carry the current
 * pepper's id (`p2$<hex>`), and a lookup also tries each previous pepper and, last, the
 * unversioned digest of the oldest pepper (0.1 records). Internal: not exported.
 *
 * The cache is keyed by the current pepper's bare digest, so a cache hit costs one HMAC whatever
 * the ring holds: the hot path never sees a previous pepper. It is keyed by that digest's binary
 * form (`cacheKey`: 32 one-byte chars where node:crypto gives it, else the hex itself), which is
 * cheaper to produce and to look up than the hex (docs/benchmarks.md, "Binary cache key");
 * `hexOf` and `cacheKeyOfHex` convert at the edges (a store read, an eviction).
 * @module
 */
import { createBinaryKeyHasher, createKeyHasher } from '../hash.js'
import { binaryToHex, hexToBinary } from '../lib/binary-digest.js'
import type { ResolvedPepperRing } from '../options/pepper.js'

/** What every digest scheme answers: the digests of keys under the configured pepper(s). */
interface DigestSchemeBase {
  /** Hex digest of a key under the current pepper (what {@link DigestSchemeBase.stored} takes). */
  hash: (key: string) => string
  /** The verification cache's key of a key: {@link DigestSchemeBase.hash}'s digest, binary. The hot path's one hash. */
  cacheKey: (key: string) => string
  /** The hex digest of a cache key. */
  hexOf: (cacheKey: string) => string
  /** The cache key of a hex digest ({@link DigestSchemeBase.hash}'s form). */
  cacheKeyOfHex: (hex: string) => string
  /** What a new record stores for a key whose {@link DigestSchemeBase.hash} is `hex`. */
  stored: (hex: string) => string
  /** The cache key of a stored digest made with the current pepper; `undefined` for others. */
  cacheKeyOf: (stored: string) => string | undefined
  /** Pepper ids: current (`null` when its digests are unversioned), next, previous. */
  readonly ids: { current: string | null; next: string | null; previous: readonly string[] }
}

/** One unversioned digest per key (a plain pepper, or none): a lookup is one `findByHash`, as in 0.1. */
export interface PlainDigestScheme extends DigestSchemeBase {
  /** Lookups try one digest. */
  readonly rotating: false
}

/**
 * A pepper ring. Its lookups go through the candidates even for a ring of one unversioned pepper,
 * whose one candidate is then the plain digest (`findAny` of one digest is one `findByHash`).
 */
export interface RotatingDigestScheme extends DigestSchemeBase {
  /** Lookups try every candidate. */
  readonly rotating: true
  /**
   * Every stored digest the key may have, the current one first, then `next`'s, then the older
   * ones; `hex` is its {@link DigestSchemeBase.hash}.
   */
  candidates: (key: string, hex: string) => string[]
  /** How many of the candidates (from the start) are never re-keyed: current, and `next`. */
  readonly kept: number
}

/** The digests of keys under the configured pepper(s); `rotating` tells the two kinds apart. */
export type DigestScheme = PlainDigestScheme | RotatingDigestScheme

/** Builds the scheme of a plain pepper (or none) or of a ring. */
export function createDigestScheme(
  pepper: Uint8Array | undefined,
  ring: ResolvedPepperRing | undefined,
): DigestScheme {
  if (ring === undefined) return plainScheme(pepper)
  const { current, next } = ring
  const hash = createKeyHasher(current.secret)
  const nextHash = next === undefined ? undefined : createKeyHasher(next.secret)
  const previous = ring.previous.map((p) => ({ id: p.id, hash: createKeyHasher(p.secret) }))
  const tag = current.id === undefined ? '' : `${current.id}$`
  // 0.1 digests carry no id: they were made with the oldest pepper listed (current if alone),
  // or with current itself when it writes them still (no id).
  const oldest = previous.at(-1)
  const kept = next === undefined ? 1 : 2
  const keying = cacheKeying(current.secret)
  const { cacheKeyOfHex } = keying
  return {
    hash,
    ...keying,
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
        if (stored.startsWith(tag)) return cacheKeyOfHex(stored.slice(tag.length))
        return oldest === undefined && !stored.includes('$') ? cacheKeyOfHex(stored) : undefined
      }
      return stored.includes('$') ? undefined : cacheKeyOfHex(stored)
    },
    // Always: the candidates list every digest to try, one or more.
    rotating: true,
    ids: {
      current: current.id ?? null,
      next: next?.id ?? null,
      previous: previous.map((p) => p.id),
    },
  }
}

// One unversioned digest per key, as in 0.1.
function plainScheme(pepper: Uint8Array | undefined): PlainDigestScheme {
  const keying = cacheKeying(pepper)
  return {
    hash: createKeyHasher(pepper),
    ...keying,
    stored: (hex) => hex,
    cacheKeyOf: (stored) => keying.cacheKeyOfHex(stored),
    rotating: false,
    ids: { current: null, next: null, previous: [] },
  }
}

// The cache's keys under one pepper: binary where node:crypto can hash to it, else the hex.
function cacheKeying(
  pepper: Uint8Array | undefined,
): Pick<DigestScheme, 'cacheKey' | 'hexOf' | 'cacheKeyOfHex'> {
  const binary = createBinaryKeyHasher(pepper)
  if (binary === undefined) {
    const same = (digest: string): string => digest
    return { cacheKey: createKeyHasher(pepper), hexOf: same, cacheKeyOfHex: same }
  }
  return { cacheKey: binary, hexOf: binaryToHex, cacheKeyOfHex: hexToBinary }
}
