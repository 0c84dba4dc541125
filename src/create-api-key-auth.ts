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
import { guardStore } from './service/guarded-store.js'
import { createKeyManager } from './service/key-manager.js'
import { createLookupKey, createRevokeByKey } from './service/revoke-by-key.js'
import { createRecordLookup } from './service/pepper-rotation.js'
import { createScopeRegistry } from './service/scope-registry.js'
import { VerificationCache } from './service/verification-cache.js'
import { createVerifier, embeddedUserId } from './service/verifier.js'
import type { ApiKeyAuth } from './service/api-key-auth.js'
import type { ApiKeyRecord } from './types.js'

export { CREATE_KEY_MESSAGE } from './service/key-manager.js'
export type { CreatedApiKey, CreateKeyInput } from './service/key-manager.js'
export type { VerifyOptions } from './service/verifier.js'
export type { RevokeByKeyOptions, RevokeByKeyResult } from './service/revoke-by-key.js'
export type { ApiKeyAuth, CacheStats } from './service/api-key-auth.js'
export type { PepperStatus } from './service/pepper-rotation.js'

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
  // The cache reads through the guarded store, whose revocations evict from the cache. The
  // loader only runs on a verification, after both exist.
  const cache = new VerificationCache(opts.cache, (digest, key) =>
    lookup.find(digest, key, embeddedUserId(key, head)),
  )
  const store = guardStore(opts.store, {
    keyHead: head,
    timeoutMs: opts.storeTimeoutMs,
    logger,
    onRevoke: (digest) => lookup.evictStored(digest),
  })
  const lookup = createRecordLookup({
    scheme,
    store,
    evict: (cacheKey) => cache.evict(cacheKey),
    maxAliases: Math.max(opts.cache === false ? 0 : opts.cache.maxEntries, 1_000),
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
  })
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
  })

  const findByKey = (key: string): Promise<ApiKeyRecord | null> =>
    lookup.find(hash(key), key, embeddedUserId(key, head))
  const revokeByKey = createRevokeByKey({ keyHead: head, clock, store, findByKey })

  return {
    options: opts,
    createKey: keys.createKey,
    listKeys: keys.listKeys,
    revokeKey: keys.revokeKey,
    revokeByKey,
    lookupKey: createLookupKey({ keyHead: head, findByKey }),
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
    close: store.close,
  }
}
