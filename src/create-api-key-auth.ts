/**
 * The auth service: issue, list, revoke and verify keys over any `KeyStore`. This module
 * only wires the parts in `service/` together (ARCHITECTURE.md):
 * the guarded store, the verification cache, the verifier and the key manager.
 * @module
 */
import { keyHead } from './api-key.js'
import { resolveOptions } from './options/resolve.js'
import type { ApiKeyAuthOptions } from './options/types.js'
import { createServiceClock } from './service/clock.js'
import { createErrorResponder } from './service/error-responder.js'
import { createObservability } from './service/observability.js'
import { createDigestScheme } from './service/digest-scheme.js'
import { createKeyManager } from './service/key-manager.js'
import { createLimiter } from './service/limiter.js'
import { createFailedAuthThrottle } from './service/failed-auth-throttle.js'
import { createKeyLookups } from './service/revoke-by-key.js'
import { createScopeRegistry } from './service/scope-registry.js'
import { wireStore } from './service/store-wiring.js'
import { createVerifier } from './service/verifier.js'
import { withTelemetry } from './service/telemetry-wiring.js'
import type { ApiKeyAuth } from './service/api-key-auth.js'
import type { FailedAuthThrottle } from './service/failed-auth-throttle.js'
import { createLifecycleApi, otherOwnerHeads } from './service/lifecycle-api.js'
import { createAuditLog } from './service/audit-log.js'

export { CREATE_KEY_MESSAGE } from './service/key-manager.js'
export type { CreatedApiKey, CreateKeyInput, RevokeKeyInput } from './service/key-manager.js'
export type { KeyRefInput, RolledApiKey, RollKeyInput } from './service/key-lifecycle.js'
export type { ApiKeyPage, ListKeyPageInput } from './service/key-listing.js'
export type { UpdateKeyInput } from './service/key-update.js'
export type { KeyOwnerInput } from './service/key-owner.js'
export type { VerifyOptions } from './service/verifier.js'
export type { ChargeOptions } from './service/limiter.js'
export type { FailedAuthThrottle } from './service/failed-auth-throttle.js'
export type { RevokeByKeyOptions, RevokeByKeyResult } from './service/revoke-by-key.js'
export type { ApiKeyAuth, CacheStats } from './service/api-key-auth.js'
export type { PepperStatus } from './service/pepper-rotation.js'
export type { ManagementContext } from './service/key-events.js'
export type { UsageQuery, UsageReport } from './service/usage-report.js'
export type { ExpiryNotice, NotifyExpiringOptions } from './service/expiry-notifier.js'
export type { AuditPage, ListEventsInput } from './service/audit-listing.js'

/**
 * Creates the auth service. Options are validated here, once; a bad option throws
 * `CONFIGURATION_ERROR` naming it.
 *
 * @example
 * ```ts
 * const auth = createApiKeyAuth({ store: new MemoryKeyStore() })
 * const { key } = await auth.createKey({ userId: 'abc', name: 'CI', scopes: ['models:read'] })
 * const principal = await auth.authenticate(`Bearer ${key}`, { scopes: ['models:read'] })
 * ```
 */
export function createApiKeyAuth(options: ApiKeyAuthOptions): ApiKeyAuth {
  const { options: opts, secrets } = resolveOptions(options)
  const head = keyHead(opts.prefix, opts.environment)
  const otherHeads = otherOwnerHeads(opts)
  const scheme = createDigestScheme(secrets.pepper, secrets.pepperRing)
  // What a new record stores: the digest under the current pepper, with its id.
  const stored = (key: string): string => scheme.stored(scheme.hash(key))
  const clock = createServiceClock(opts.now, opts.logger)
  const observability = createObservability(opts, clock, head)
  const { cache, store, lookup, telemetry } = wireStore(opts, scheme, head, otherHeads, clock)
  const registry = createScopeRegistry(opts.scopes)
  const audit = createAuditLog(opts)
  const verifier = createVerifier({
    keyHead: head,
    otherHeads,
    hash: scheme.cacheKey,
    clock,
    cache: cache,
    store,
    touchIntervalMs: opts.touchIntervalMs,
    clockToleranceMs: opts.clockToleranceMs,
    maxTouched: Math.max(opts.cache === false ? 0 : opts.cache.maxEntries, 10_000),
    denied: observability.denied,
    usage: observability.usage,
    telemetry,
  })
  const keys = createKeyManager({
    ...opts, // prefix, environment, maxKeysPerUser, maxExpiresInDays, ownerTypes
    hash: stored,
    clock,
    store,
    registry,
    onCreate: (digest) => lookup.evictStored(digest),
    events: observability.keyEvents,
    audit,
  })
  const byKey = createKeyLookups({
    keyHead: head,
    otherHeads,
    clock,
    store,
    lookup,
    hash: scheme.hash,
    events: observability.keyEvents,
    audit,
  })
  const lifecycle = createLifecycleApi({
    opts,
    maxRollGraceMsGiven: options.maxRollGraceMs !== undefined,
    hash: stored,
    clock,
    store,
    registry,
    events: observability.keyEvents,
    audit,
  })

  return withTelemetry(telemetry, cache, store, {
    options: opts,
    ...lifecycle,
    createKey: keys.createKey,
    listKeys: keys.listKeys,
    revokeKey: keys.revokeKey,
    revokeByKey: byKey.revokeByKey,
    lookupKey: byKey.lookupKey,
    pepperStatus: lookup.status,
    verifyKey: verifier.verifyKey,
    authenticate: verifier.authenticate,
    chargeLimits: createLimiter(opts, clock, observability.limitHit, cache).charge,
    ...throttleOf(opts, clock, observability.throttled),
    checkRouteScopes: registry.checkRouteScopes,
    requireScopes: registry.checkRouteScopes,
    errorResponse: createErrorResponder(opts.realm, opts.logger),
    cacheStats: () => ({ ...cache.stats(), touched: verifier.touchedCount() }),
    sweepCache: () => cache.sweep(clock()),
    ...observability.api,
    close: async () => {
      store.close()
      await observability.close()
    },
  })
}

// Present only when the option is on, so that `'failedAuthThrottle' in auth` says so.
function throttleOf(...args: Parameters<typeof createFailedAuthThrottle>): {
  failedAuthThrottle?: FailedAuthThrottle
} {
  const throttle = createFailedAuthThrottle(...args)
  return throttle === undefined ? {} : { failedAuthThrottle: throttle }
}
