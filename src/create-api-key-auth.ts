/**
 * The auth service: issue, list, revoke and verify keys over any `KeyStore`. This module
 * only wires the parts in `service/` together (ARCHITECTURE.md):
 * the guarded store, the verification cache, the verifier and the key manager.
 * @module
 */
import { keyHead } from './api-key.js'
import { AuthError, type AuthErrorResponse, isAuthError } from './errors.js'
import { createKeyHasher } from './hash.js'
import { describeError } from './lib/describe-error.js'
import { resolveOptions } from './options/resolve.js'
import type { ApiKeyAuthOptions, ResolvedAuthOptions } from './options/types.js'
import { createServiceClock } from './service/clock.js'
import { guardStore } from './service/guarded-store.js'
import { type CreatedApiKey, type CreateKeyInput, createKeyManager } from './service/key-manager.js'
import { createScopeRegistry } from './service/scope-registry.js'
import { VerificationCache } from './service/verification-cache.js'
import { createVerifier, embeddedUserId, type VerifyOptions } from './service/verifier.js'
import type { ApiKeyInfo, ApiKeyPrincipal } from './types.js'

export { CREATE_KEY_MESSAGE } from './service/key-manager.js'
export type { CreatedApiKey, CreateKeyInput } from './service/key-manager.js'
export type { VerifyOptions } from './service/verifier.js'

/** Sizes of the verification cache, for monitoring and tests. */
export interface CacheStats {
  /** Verified keys held. */
  positive: number
  /** "No such key" results held. */
  negative: number
  /** Store lookups under way. */
  inflight: number
  /** Keys whose last `touch` time is remembered. */
  touched: number
}

/** An API-key authentication service; create one with {@link createApiKeyAuth}. */
export interface ApiKeyAuth {
  /** The validated options with defaults filled in; secrets are not in it. */
  readonly options: Readonly<ResolvedAuthOptions>
  /** Issues a key. @throws `VALIDATION_ERROR`, `KEY_LIMIT_REACHED`, `AUTH_UNAVAILABLE`. */
  createKey(input: CreateKeyInput): Promise<CreatedApiKey>
  /** A user's keys, revoked and expired ones included, oldest first; never a secret or hash. */
  listKeys(userId: string): Promise<ApiKeyInfo[]>
  /**
   * Revokes a key its owner holds; revoking again returns the original `revokedAt`.
   * @throws `KEY_NOT_FOUND` when the key does not exist or belongs to someone else.
   */
  revokeKey(input: { userId: string; keyId: string }): Promise<ApiKeyInfo>
  /** Verifies a presented key and its scopes. @throws {@link AuthError} */
  verifyKey(key: unknown, options?: VerifyOptions): Promise<ApiKeyPrincipal>
  /** Parses an `Authorization` header value, then {@link ApiKeyAuth.verifyKey}. @throws {@link AuthError} */
  authenticate(authorization: unknown, options?: VerifyOptions): Promise<ApiKeyPrincipal>
  /**
   * Checks scopes a route will require, once at set-up: each must be well formed and, with a
   * registry, covered by it. @throws `CONFIGURATION_ERROR`.
   */
  requireScopes(scopes: readonly string[]): readonly string[]
  /** The HTTP response for any error: an {@link AuthError}'s own, anything else 503 (fail closed). */
  errorResponse(error: unknown): AuthErrorResponse
  /** Sizes of the verification cache. */
  cacheStats(): CacheStats
  /** Drops expired cache entries now (they are otherwise dropped lazily). */
  sweepCache(): void
  /** Stops listening to the store's revocations. */
  close(): void
}

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
  })

  return {
    options: opts,
    createKey: keys.createKey,
    listKeys: keys.listKeys,
    revokeKey: keys.revokeKey,
    verifyKey: verifier.verifyKey,
    authenticate: verifier.authenticate,
    requireScopes: registry.requireScopes,
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
