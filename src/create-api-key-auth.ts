/**
 * The auth service: issue, list, revoke and verify keys over any `KeyStore`. This module
 * only wires the parts in `service/` together (ARCHITECTURE.md):
 * the guarded store, the verification cache, the verifier and the key manager.
 * @module
 */
import { keyHead } from './api-key.js'
import { AuthError, isAuthError } from './errors.js'
import { createKeyHasher } from './hash.js'
import { describeError } from './lib/describe-error.js'
import { resolveOptions } from './options/resolve.js'
import type { ApiKeyAuthOptions } from './options/types.js'
import { createServiceClock } from './service/clock.js'
import { guardStore } from './service/guarded-store.js'
import { createKeyManager } from './service/key-manager.js'
import { createScopeRegistry } from './service/scope-registry.js'
import { VerificationCache } from './service/verification-cache.js'
import { createVerifier, embeddedOwnerKey } from './service/verifier.js'
import type { ApiKeyAuth } from './service/api-key-auth.js'
import { createKeyLifecycle } from './service/key-lifecycle.js'
import { createKeyLister } from './service/key-listing.js'
import { createKeyUpdater } from './service/key-update.js'

export { CREATE_KEY_MESSAGE } from './service/key-manager.js'
export type { CreatedApiKey, CreateKeyInput, RevokeKeyInput } from './service/key-manager.js'
export type { KeyRefInput, RolledApiKey, RollKeyInput } from './service/key-lifecycle.js'
export type { ApiKeyPage, ListKeyPageInput } from './service/key-listing.js'
export type { UpdateKeyInput } from './service/key-update.js'
export type { KeyOwnerInput } from './service/key-owner.js'
export type { VerifyOptions } from './service/verifier.js'
export type { ApiKeyAuth, CacheStats } from './service/api-key-auth.js'

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
  const otherHeads = opts.ownerTypes
    .filter((type) => type !== 'user')
    .map((type) => keyHead(opts.prefix, opts.environment, type))
  const hash = createKeyHasher(secrets.pepper)
  const clock = createServiceClock(opts.now, logger)
  // The cache reads through the guarded store, whose revocations evict from the cache. The
  // loader only runs on a verification, after both exist.
  const cache = new VerificationCache(opts.cache, (digest, key) =>
    store.find(digest, embeddedOwnerKey(key, head, otherHeads)),
  )
  const store = guardStore(opts.store, {
    // Every owner kind of this prefix and environment: the record's userId keeps kinds apart.
    keyHead: `${opts.prefix}_${opts.environment}_`,
    timeoutMs: opts.storeTimeoutMs,
    logger,
    onRevoke: (digest) => cache.evict(digest),
  })
  const registry = createScopeRegistry(opts.scopes)
  const verifier = createVerifier({
    keyHead: head,
    otherHeads,
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
    ownerTypes: opts.ownerTypes,
    hash,
    clock,
    store,
    registry,
    onCreate: (digest) => cache.evict(digest),
  })

  if (options.maxRollGraceMs !== undefined && !store.capabilities.roll) {
    store.close()
    throw new AuthError('CONFIGURATION_ERROR', {
      message: 'maxRollGraceMs is set, but the store cannot roll keys (it has no roll method)',
    })
  }
  const lifecycle = createKeyLifecycle({ ...opts, hash, clock, store })
  const common = { ...opts, clock, store }

  return {
    options: opts,
    rollKey: lifecycle.rollKey,
    disableKey: lifecycle.disableKey,
    enableKey: lifecycle.enableKey,
    updateKey: createKeyUpdater({ clock, store, lifecycle, registry }),
    listKeyPage: createKeyLister(common),
    createKey: keys.createKey,
    listKeys: keys.listKeys,
    revokeKey: keys.revokeKey,
    verifyKey: verifier.verifyKey,
    authenticate: verifier.authenticate,
    checkRouteScopes: registry.checkRouteScopes,
    requireScopes: registry.checkRouteScopes,
    errorResponse: (error) => {
      if (isAuthError(error)) return error.toResponse({ realm: opts.realm })
      logger.error('unexpected error during authentication', { error: describeError(error) })
      return new AuthError('AUTH_UNAVAILABLE', { cause: error }).toResponse({ realm: opts.realm })
    },
    cacheStats: () => ({ ...cache.stats(), touched: verifier.touchedCount() }),
    sweepCache: () => cache.sweep(clock()),
    close: store.close,
  }
}
