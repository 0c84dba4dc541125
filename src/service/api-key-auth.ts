/**
 * The service's public interface, as `createApiKeyAuth` returns it.
 * @module
 */
import type { AuthErrorResponse } from '../errors.js'
import type { ResolvedAuthOptions } from '../options/types.js'
import type { ApiKeyInfo, ApiKeyPrincipal } from '../types.js'
import type { CreatedApiKey, CreateKeyInput } from './key-manager.js'
import type { VerifyOptions } from './verifier.js'
import type { ChargeOptions } from './limiter.js'

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
   * Charges one request of a verified key against its usage limits (its own, else the
   * instance defaults) and resolves with the `RateLimit-Policy`/`RateLimit` headers to send
   * (`{}` when no limit applies). Call it after `authenticate`; the guard of every adapter does.
   * A refused request is not charged.
   * @throws `RATE_LIMITED` or `CREDITS_EXHAUSTED` (429, with `Retry-After` and the headers);
   * `AUTH_UNAVAILABLE` when the limit store fails and the outage policy is `'closed'`.
   */
  chargeLimits(principal: ApiKeyPrincipal, options?: ChargeOptions): Promise<Record<string, string>>
  /**
   * Checks, once at set-up, the scopes a route will require: each must be well formed and, with
   * a registry, covered by it. Returns them frozen, for `verifyKey`/`authenticate` on each
   * request. @throws `CONFIGURATION_ERROR`.
   */
  checkRouteScopes(scopes: readonly string[]): readonly string[]
  /**
   * The same as {@link ApiKeyAuth.checkRouteScopes}.
   * @deprecated Since 0.2: use `checkRouteScopes`; this name suggested a check per request.
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
