/**
 * Pepper rotation at lookup time: a cache miss tries every digest the key may be stored under
 * (one round trip where the store has `findByHashes`), re-keys a record found under an older
 * pepper to the current one (compare-and-set, in the background), and maps revocations of older
 * digests back to the cache's key. Without previous peppers a lookup is one `findByHash`, as in
 * 0.1. Internal: not exported.
 * @module
 */
import { digestsEqual } from '../hash.js'
import type { ApiKeyRecord } from '../types.js'
import type { DigestScheme } from './digest-scheme.js'
import type { GuardedStore } from './guarded-store.js'

/** What `auth.pepperStatus()` reports. */
export interface PepperStatus {
  /** Id of the current pepper; `null` when `pepper` is not a ring or its current has no id. */
  current: string | null
  /** Id of the `next` pepper (accepted, not yet written); `null` when none. */
  next: string | null
  /** Ids of the previous peppers, newest first. */
  previous: string[]
  /**
   * Records not revoked, per digest version: a pepper id, or `'unversioned'` for 0.1 digests
   * (made with the oldest pepper listed). `null` when the store cannot count
   * (`countDigestVersions`).
   */
  records: Record<string, number> | null
  /** Previous peppers no record needs any more: safe to remove from `previous`. */
  retirable: string[]
}

/** Lookups, revocation mapping and status over a digest scheme. */
export interface RecordLookup {
  /** The cache's loader: the record of `key`, whose current-pepper digest is `hex`. */
  find(hex: string, key: string, embeddedUserId: string): Promise<ApiKeyRecord | null>
  /** Evicts what a stored digest (revoked or created anywhere) stands for in the cache. */
  evictStored(stored: string): void
  status(): Promise<PepperStatus>
}

/** What {@link createRecordLookup} needs. */
export interface RecordLookupDeps {
  scheme: DigestScheme
  store: GuardedStore
  /** Evicts a cache key. */
  evict: (cacheKey: string) => void
  /** Most older digests remembered for revocations (about the cache's size). */
  maxAliases: number
}

/** Builds the lookup. */
export function createRecordLookup(deps: RecordLookupDeps): RecordLookup {
  const { scheme, store, evict } = deps
  // Older stored digest → cache key, so that a revocation of a not yet re-keyed record evicts.
  const aliases = new Map<string, string>()
  const alias = (stored: string, cacheKey: string): void => {
    aliases.delete(stored)
    aliases.set(stored, cacheKey)
    if (aliases.size > deps.maxAliases) aliases.delete(aliases.keys().next().value as string)
  }

  const find = async (
    hex: string,
    key: string,
    embeddedUserId: string,
  ): Promise<ApiKeyRecord | null> => {
    if (!scheme.rotating) return store.find(hex, embeddedUserId)
    const candidates = scheme.candidates(key, hex)
    const current = candidates[0] as string
    // Registered before the read: a revocation arriving meanwhile invalidates this lookup.
    // Other digests are candidates[1…]; the current one is never an alias.
    for (let i = 1; i < candidates.length; i++) alias(candidates[i] as string, hex)
    let record: ApiKeyRecord | null = null
    try {
      record = await store.findAny(candidates, embeddedUserId)
    } finally {
      for (let i = 1; i < candidates.length; i++) {
        const digest = candidates[i] as string
        if (record === null || !digestsEqual(digest, record.hash)) aliases.delete(digest)
      }
    }
    // Re-keyed only from an older pepper: a record under `next` was written by an instance that
    // already switched, and moving it back would undo the rotation.
    if (record !== null && isOlder(candidates, scheme.kept, record.hash)) {
      store.rehash(record.id, record.hash, current)
    }
    return record
  }

  return {
    find,
    evictStored: (stored) => {
      const cacheKey = scheme.cacheKeyOf(stored)
      if (cacheKey !== undefined) evict(cacheKey)
      // Aliases hold the current hex digest; the cache is keyed by its binary form.
      const aliased = aliases.get(stored)
      if (aliased !== undefined) evict(scheme.cacheKeyOfHex(aliased))
    },
    status: async () => {
      const records = await store.countDigestVersions()
      const { current, next, previous } = scheme.ids
      return {
        current,
        next,
        previous: [...previous],
        records: records === null ? null : byVersion(records),
        retirable: records === null || current === null ? [] : retirable(previous, records),
      }
    },
  }
}

function isOlder(candidates: readonly string[], kept: number, stored: string): boolean {
  for (let i = kept; i < candidates.length; i++) {
    if (digestsEqual(candidates[i] as string, stored)) return true
  }
  return false
}

function byVersion(counts: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [version, count] of Object.entries(counts)) {
    out[version === '' ? 'unversioned' : version] = count
  }
  return out
}

// A previous pepper is needed while a record carries its id; the oldest also while any
// unversioned record remains (those were made with it).
function retirable(previous: readonly string[], counts: Record<string, number>): string[] {
  return previous.filter((id, index) => {
    if ((counts[id] ?? 0) > 0) return false
    return index < previous.length - 1 || (counts[''] ?? 0) === 0
  })
}
