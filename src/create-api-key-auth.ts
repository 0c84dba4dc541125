/**
 * The auth service: issue, list, revoke and verify keys over any `KeyStore`. This module
 * only wires the parts in `service/` together (ARCHITECTURE.md):
 * the guarded store, the verification cache, the verifier and the key manager.
 * @module
 */
import { keyHead } from './api-key.js'
import { AuthError, isAuthError } from './errors.js'
import { describeError } from './lib/describe-error.js'
import { resolveOptions } from './options/resolve.js'
import type { ApiKeyAuthOptions } from './options/types.js'
import { createServiceClock } from './service/clock.js'
import { createDigestScheme } from './service/digest-scheme.js'
import { createEventBus } from './service/event-bus.js'
import { createDenialReporter, createKeyEvents } from './service/key-events.js'
import { UsageCounter } from './service/usage-counter.js'
import { createUsageReader } from './service/usage-report.js'
import { createKeyManager } from './service/key-manager.js'
import { createKeyLookups } from './service/revoke-by-key.js'
import { createLeakReporter } from './service/leak-events.js'
import { wireStore } from './service/store-wiring.js'
import { createScopeRegistry } from './service/scope-registry.js'
import { createVerifier } from './service/verifier.js'
import type { ApiKeyAuth } from './service/api-key-auth.js'

export { CREATE_KEY_MESSAGE } from './service/key-manager.js'
export type { CreatedApiKey, CreateKeyInput } from './service/key-manager.js'
export type { VerifyOptions } from './service/verifier.js'
export type { RevokeByKeyOptions, RevokeByKeyResult } from './service/revoke-by-key.js'
export type { ApiKeyAuth, CacheStats } from './service/api-key-auth.js'
export type { PepperStatus } from './service/pepper-rotation.js'
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
  const scheme = createDigestScheme(secrets.pepper, secrets.pepperRing)
  const hash = scheme.hash
  const clock = createServiceClock(opts.now, logger)
  const events = createEventBus(logger)
  const usage =
    opts.usageStore === undefined
      ? undefined
      : new UsageCounter({
          store: opts.usageStore,
          flushMs: opts.usageFlushMs,
          timeoutMs: opts.storeTimeoutMs,
          logger,
        })
  const { cache, store, lookup } = wireStore(opts, scheme, head)
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
  const keyEvents = createKeyEvents(events, clock)
  const keys = createKeyManager({
    prefix: opts.prefix,
    environment: opts.environment,
    maxKeysPerUser: opts.maxKeysPerUser,
    maxExpiresInDays: opts.maxExpiresInDays,
    hash: (key) => scheme.stored(hash(key)),
    clock,
    store,
    registry,
    onCreate: (digest) => lookup.evictStored(digest),
    events: keyEvents,
  })

  const report = createLeakReporter(events, keyEvents, clock)
  const byKey = createKeyLookups({ keyHead: head, clock, store, lookup, hash, report })

  return {
    options: opts,
    createKey: keys.createKey,
    listKeys: keys.listKeys,
    revokeKey: keys.revokeKey,
    revokeByKey: byKey.revokeByKey,
    lookupKey: byKey.lookupKey,
    verifyKey: verifier.verifyKey,
    authenticate: verifier.authenticate,
    checkRouteScopes: registry.checkRouteScopes,
    requireScopes: registry.checkRouteScopes,
    errorResponse: (error) => {
      if (isAuthError(error)) return error.toResponse({ realm: opts.realm })
      logger.error('unexpected error during authentication', { error: describeError(error) })
      return new AuthError('AUTH_UNAVAILABLE', { cause: error }).toResponse({ realm: opts.realm })
    },
    pepperStatus: lookup.status,
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
