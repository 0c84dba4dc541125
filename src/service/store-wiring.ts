/**
 * Wires the guarded store, the verification cache and the record lookup, which refer to each
 * other: the cache reads through the lookup, the lookup through the guarded store, and the
 * store's revocations (and those of every instance) evict from the cache. Internal.
 * @module
 */
import type { ResolvedAuthOptions } from '../options/types.js'
import type { DigestScheme } from './digest-scheme.js'
import { guardStore, type GuardedStore } from './guarded-store.js'
import { createRecordLookup, type RecordLookup } from './pepper-rotation.js'
import { VerificationCache } from './verification-cache.js'
import { embeddedOwnerKey } from './verifier.js'
import type { ServiceClock } from './clock.js'
import type { AuthTelemetry } from '../telemetry.js'
import { createPropagationProbe } from './propagation-probe.js'
import { guardTelemetry } from './telemetry-wiring.js'

/** The three parts, wired. */
export interface StoreWiring {
  cache: VerificationCache
  store: GuardedStore
  lookup: RecordLookup
  /** The `telemetry` option's hooks, guarded (telemetry-wiring.ts); `undefined` without it. */
  telemetry: AuthTelemetry | undefined
}

/**
 * Builds the parts for `opts`, whose user keys start with `keyHead` and other owners' keys with
 * one of `otherHeads`, under `scheme`'s digests. With telemetry, a revocation of a key this
 * instance was accepting is also measured (`propagation-probe.ts`).
 */
export function wireStore(
  opts: ResolvedAuthOptions,
  scheme: DigestScheme,
  keyHead: string,
  otherHeads: readonly string[],
  clock: ServiceClock,
): StoreWiring {
  const telemetry = guardTelemetry(opts.telemetry, opts.logger)
  // The loader only runs on a verification, after all three exist.
  // The cache is keyed by binary digests (digest-scheme.ts); the store by hex ones.
  const cache = new VerificationCache(opts.cache, (cacheKey, key) =>
    lookup.find(scheme.hexOf(cacheKey), key, embeddedOwnerKey(key, keyHead, otherHeads)),
  )
  const store = guardStore(opts.store, {
    // Every owner kind of this prefix and environment: the record's userId keeps kinds apart.
    keyHead: `${opts.prefix}_${opts.environment}_`,
    timeoutMs: opts.storeTimeoutMs,
    logger: opts.logger,
    telemetry,
    onRevoke: (digest) => {
      if (probe !== undefined) probe(digest)
      lookup.evictStored(digest)
    },
  })
  const probe =
    telemetry === undefined
      ? undefined
      : createPropagationProbe({ scheme, cache, store, clock, telemetry })
  const lookup = createRecordLookup({
    scheme,
    store,
    evict: (cacheKey) => cache.evict(cacheKey),
    maxAliases: Math.max(opts.cache === false ? 0 : opts.cache.maxEntries, 1_000),
  })
  return { cache, store, lookup, telemetry }
}
