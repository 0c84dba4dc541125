/**
 * The verification cache: verified keys and "no such key" answers, each in a bounded LRU with a
 * TTL, single-flight lookups, and invalidation of lookups under way. Internal: not exported.
 * @module
 */
import { type ChargePlan, NO_HEADER, NO_RATE } from './charge-plan.js'
import { rememberKeyPrefix } from './principal-prefix.js'
import { CONSUME_MEMO } from '../lib/consume-now.js'
import { effectiveExpiryMs, parseOwnerKey } from '../key-record.js'
import { LruCache, type LruSlot } from '../lib/lru-cache.js'
import { freezeLimits } from '../limits/schema.js'
import type { CacheOptions } from '../options/types.js'
import type { ApiKeyPrincipal, ApiKeyRecord, KeyMetadata } from '../types.js'

/**
 * What the cache keeps of a verified key: enough to decide without the store. It is its own LRU
 * entry (`LruSlot`: the cache entry's end of life and use stamp), so a hit reads no wrapper.
 *
 * It is also the key's charge plan (charge-plan.ts), empty until the key's first charge: a
 * charge then reads the entry the verification of the same request has just read, not one
 * more per-key object. Those fields come last, after all that a hit reads.
 */
export interface CachedKey extends LruSlot, ChargePlan {
  /** Frozen: handed to every request that presents the key. */
  principal: ApiKeyPrincipal
  /**
   * `KEY_REVOKED` or `KEY_DISABLED`, decided once at load so that a hit tests one field for
   * both (and for a 0.1 record without `disabledAt`); `null` for a usable key.
   */
  refusal: 'KEY_REVOKED' | 'KEY_DISABLED' | null
  /**
   * When the key stops verifying by time, in ms: `expiresAt` or the end of a roll's grace,
   * whichever is first (precomputed, so the grace costs a hit nothing); `Infinity` for neither.
   */
  expiresAtMs: number
  /**
   * The key was issued by a `'firstUse'` roll whose grace has not started: its first successful
   * verification starts it (checked on the `touchedAt` branch, which a new entry always takes).
   */
  startsGrace: boolean
  /** When this entry last asked for a `lastUsedAt` write: spares a hit the throttle's map lookup. */
  touchedAt: number
  /** Display form of the key, for events about it (never the key). */
  keyPrefix: string
}

/** Sizes of the cache. */
export interface VerificationCacheStats {
  positive: number
  negative: number
  inflight: number
}

interface Flight {
  promise: Promise<CachedKey | null>
  invalidated: boolean
}

/** Reads a record by digest; `key`'s embedded user id lets the reader check the owner. */
export type RecordLoader = (digest: string, key: string) => Promise<ApiKeyRecord | null>

/**
 * Two LRUs keyed by digest (never by a key): verified keys for `ttlMs`, unknown digests for
 * `negativeTtlMs`. With `cache: false` nothing is kept, but lookups are still single-flight.
 */
export class VerificationCache {
  readonly #positive: LruCache<CachedKey> | undefined
  readonly #negative: LruCache<true> | undefined
  readonly #inflight = new Map<string, Flight>()
  readonly #scopeSets: ScopeSets = new Map()
  // The entry each principal this cache built belongs to, for the limiter (charge-plan.ts).
  readonly #entries = new WeakMap<ApiKeyPrincipal, CachedKey>()
  readonly #read: RecordLoader

  constructor(options: Required<CacheOptions> | false, read: RecordLoader) {
    this.#read = read
    if (options !== false) {
      this.#positive = LruCache.inPlace<CachedKey>(options.maxEntries, options.ttlMs)
      this.#negative = new LruCache(options.negativeMaxEntries, options.negativeTtlMs)
    }
  }

  /** The cached verified key of `digest`, if live. The hot path: no allocation, no await. */
  hit(digest: string, now: number): CachedKey | undefined {
    return this.#positive?.get(digest, now)
  }

  /** The cached key of `digest`, live or not, without touching the LRU order. */
  peek(digest: string): CachedKey | undefined {
    return this.#positive?.peek(digest)
  }

  /**
   * The entry this cache built `principal` for, cached or not; also the key's charge plan
   * (charge-plan.ts). `undefined` for a principal built elsewhere.
   */
  entryOf(principal: ApiKeyPrincipal): CachedKey | undefined {
    return this.#entries.get(principal)
  }

  /** Whether `digest` was recently found to be no key at all. */
  knownMissing(digest: string, now: number): boolean {
    return this.#negative?.get(digest, now) !== undefined
  }

  /**
   * Reads the key from the store, one read per digest at a time, and caches the answer unless a
   * revocation arrived meanwhile. `startedAt` is the service-clock time before the read: entries
   * live `ttlMs` from the read, not from its answer, so a slow store cannot stretch the
   * revocation bound.
   */
  load(digest: string, key: string, startedAt: number): Promise<CachedKey | null> {
    const existing = this.#inflight.get(digest)
    if (existing !== undefined) return existing.promise
    const flight: Flight = { invalidated: false, promise: undefined as never }
    const settled = (): void => {
      if (this.#inflight.get(digest) === flight) this.#inflight.delete(digest)
    }
    flight.promise = this.#read(digest, key).then(
      (record) => {
        settled()
        const cached = record === null ? null : toCachedKey(record, this.#scopeSets)
        if (cached !== null) this.#entries.set(cached.principal, cached)
        if (!flight.invalidated) {
          if (cached === null) this.#negative?.set(digest, true, startedAt)
          else this.#positive?.set(digest, cached, startedAt)
        }
        return cached
      },
      (error: unknown) => {
        settled()
        throw error
      },
    )
    this.#inflight.set(digest, flight)
    return flight.promise
  }

  /** Forgets `digest` (revoked, or created), including a lookup under way that read it before. */
  evict(digest: string): void {
    this.#positive?.delete(digest)
    this.#negative?.delete(digest)
    const flight = this.#inflight.get(digest)
    if (flight !== undefined) {
      flight.invalidated = true
      this.#inflight.delete(digest)
    }
  }

  stats(): VerificationCacheStats {
    return {
      positive: this.#positive?.size ?? 0,
      negative: this.#negative?.size ?? 0,
      inflight: this.#inflight.size,
    }
  }

  /** Drops expired entries now (they are otherwise dropped lazily). */
  sweep(now: number): void {
    this.#positive?.sweep(now)
    this.#negative?.sweep(now)
  }
}

// Frozen scope lists by content (their JSON), shared by every cached key that grants the same
// scopes: most keys of a service grant one of a few sets, and a hit reads its key's list (the
// scope check), so a shared list is one memory line a busy server already holds instead of two
// objects and their strings per key (docs/benchmarks.md, "Sixth session"). At most
// MAX_SCOPE_SETS lists are kept; a key with a list beyond them gets its own copy.
type ScopeSets = Map<string, readonly string[]>
const MAX_SCOPE_SETS = 1_024

function sharedScopes(scopes: readonly string[], sets: ScopeSets): readonly string[] {
  const id = JSON.stringify(scopes)
  const known = sets.get(id)
  if (known !== undefined) return known
  const frozen = Object.freeze([...scopes])
  if (sets.size < MAX_SCOPE_SETS) sets.set(id, frozen)
  return frozen
}

function toCachedKey(record: ApiKeyRecord, scopeSets: ScopeSets): CachedKey {
  const { ownerType, ownerId } = parseOwnerKey(record.userId)
  const principal: ApiKeyPrincipal = Object.freeze({
    keyId: record.id,
    userId: record.userId,
    scopes: sharedScopes(record.scopes, scopeSets),
    name: record.name,
    expiresAt: record.expiresAt === null ? null : new Date(record.expiresAt.getTime()),
    ownerType,
    ownerId,
    metadata: frozenMetadata(record.metadata),
    // Usage limits (issue 12): only a key with its own carries them, so the guard of an
    // unlimited key reads one absent field.
    ...(record.limits === undefined || record.limits === null
      ? {}
      : { limits: freezeLimits(record.limits) }),
  })
  rememberKeyPrefix(principal, record.keyPrefix)
  const cached: CachedKey = {
    principal,
    refusal:
      record.revokedAt !== null ? 'KEY_REVOKED' : record.disabledAt != null ? 'KEY_DISABLED' : null,
    expiresAtMs: effectiveExpiryMs(record),
    startsGrace: record.firstUseGraceMs != null && record.rolledFrom != null,
    touchedAt: Number.NEGATIVE_INFINITY,
    keyPrefix: record.keyPrefix,
    // Written by the LRU when it stores the entry; doubles from the start, as they will hold.
    lruExpiresAt: Number.NEGATIVE_INFINITY,
    lruStamp: 0,
    // The charge plan, not built (charge-plan.ts): every slot in the literal, so that all are
    // in the object itself (added later, they would be in a backing store: one more object).
    chargedBy: undefined,
    rate: NO_RATE,
    credits: undefined,
    shortcutOf: undefined,
    shortcutRate: undefined,
    bucket: 0,
    count: 0,
    oldest: 0,
    pending: 0,
    stamp: 0,
    header: NO_HEADER,
    [CONSUME_MEMO]: undefined,
    subject: '',
    quota: undefined,
    cost: 1,
    now: 0,
  }
  return cached
}

// Most keys carry no metadata: they share one frozen empty object instead of one each.
const NO_METADATA: Readonly<KeyMetadata> = Object.freeze({})

function frozenMetadata(metadata: ApiKeyRecord['metadata'] | null): Readonly<KeyMetadata> {
  if (metadata === undefined || metadata === null) return NO_METADATA
  const copy = structuredClone(metadata)
  return Object.keys(copy).length === 0 ? NO_METADATA : deepFreeze(copy)
}

// The principal is shared by every request presenting the key: nothing in it may change.
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
