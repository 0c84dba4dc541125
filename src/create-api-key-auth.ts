/**
 * The auth service: issue, list, revoke and verify keys over any `KeyStore`. This module
 * only wires the parts in `service/` together (ARCHITECTURE.md):
 * the guarded store, the verification cache, the verifier and the key manager.
 * @module
 */
import { keyHead } from './api-key.js'
import { createKeyHasher } from './hash.js'
import { resolveOptions } from './options/resolve.js'
import type { ApiKeyAuthOptions } from './options/types.js'
import { createServiceClock } from './service/clock.js'
import { createErrorResponder } from './service/error-responder.js'
import { createEventBus } from './service/event-bus.js'
import { createDenialReporter, createKeyEvents } from './service/key-events.js'
import { UsageCounter } from './service/usage-counter.js'
import { createUsageReader } from './service/usage-report.js'
import { guardStore } from './service/guarded-store.js'
import { createKeyManager } from './service/key-manager.js'
import { createLimiter } from './service/limiter.js'
import { createLookupKey, createRevokeByKey } from './service/revoke-by-key.js'
import { createScopeRegistry } from './service/scope-registry.js'
import { VerificationCache } from './service/verification-cache.js'
import { createVerifier, embeddedUserId } from './service/verifier.js'
import type { ApiKeyAuth } from './service/api-key-auth.js'
import type { ApiKeyRecord } from './types.js'

export { CREATE_KEY_MESSAGE } from './service/key-manager.js'
export type { CreatedApiKey, CreateKeyInput } from './service/key-manager.js'
export type { VerifyOptions } from './service/verifier.js'
export type { ChargeOptions } from './service/limiter.js'
export type { RevokeByKeyOptions, RevokeByKeyResult } from './service/revoke-by-key.js'
export type { ApiKeyAuth, CacheStats } from './service/api-key-auth.js'
export type { ManagementContext } from './service/key-events.js'
export type { UsageQuery, UsageReport } from './service/usage-report.js'

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
  const { logger } = opts
  const head = keyHead(opts.prefix, opts.environment)
  const hash = createKeyHasher(secrets.pepper)
  const clock = createServiceClock(opts.now, logger)
  const events = createEventBus(logger)
  const usage = UsageCounter.forOptions(opts)
  // The cache reads through the guarded store, whose revocations evict from the cache. The
  // loader only runs on a verification, after both exist.
  const cache = new VerificationCache(opts.cache, (digest, key) =>
    store.find(digest, embeddedUserId(key, head)),
  )
  const store = guardStore(opts.store, {
    keyHead: head,
    timeoutMs: opts.storeTimeoutMs,
    logger,
    onRevoke: (digest) => cache.evict(digest),
  })
  const registry = createScopeRegistry(opts.scopes)
  const verifier = createVerifier({
    keyHead: head,
    hash,
    clock,
    cache: cache,
    store,
    touchIntervalMs: opts.touchIntervalMs,
    clockToleranceMs: opts.clockToleranceMs,
    maxTouched: Math.max(opts.cache === false ? 0 : opts.cache.maxEntries, 10_000),
    denied: createDenialReporter(events, clock),
    usage,
  })
  const keys = createKeyManager({
    prefix: opts.prefix,
    environment: opts.environment,
    maxKeysPerUser: opts.maxKeysPerUser,
    maxExpiresInDays: opts.maxExpiresInDays,
    hash,
    clock,
    store,
    registry,
    onCreate: (digest) => cache.evict(digest),
    events: createKeyEvents(events, clock),
  })

  const findByKey = (key: string): Promise<ApiKeyRecord | null> =>
    store.find(hash(key), embeddedUserId(key, head))
  const revokeByKey = createRevokeByKey({ keyHead: head, clock, store, findByKey })

  return {
    options: opts,
    createKey: keys.createKey,
    listKeys: keys.listKeys,
    revokeKey: keys.revokeKey,
    revokeByKey,
    lookupKey: createLookupKey({ keyHead: head, clock, findByKey }),
    verifyKey: verifier.verifyKey,
    authenticate: verifier.authenticate,
    chargeLimits: createLimiter(opts, clock).charge,
    checkRouteScopes: registry.checkRouteScopes,
    requireScopes: registry.checkRouteScopes,
    errorResponse: createErrorResponder(opts.realm, logger),
    cacheStats: () => ({ ...cache.stats(), touched: verifier.touchedCount() }),
    sweepCache: () => cache.sweep(clock()),
    on: events.on,
    usage: createUsageReader(opts.usageStore, opts.storeTimeoutMs, logger),
    flushUsage: () => usage?.flush() ?? Promise.resolve(),
    close: async () => {
      store.close()
      events.deliverQueued()
      await usage?.close()
    },
  }
}
