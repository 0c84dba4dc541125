/**
 * The service's public interface, as `createApiKeyAuth` returns it.
 * @module
 */
import type { AuthErrorResponse } from '../errors.js'
import type { AuthEventListener, AuthEventName } from '../events.js'
import type { ResolvedAuthOptions } from '../options/types.js'
import type { AnyOfScopes, RequiredScopes } from '../scope.js'
import type { ApiKeyInfo, ApiKeyPrincipal } from '../types.js'
import type { ManagementContext } from './key-events.js'
import type { CreatedApiKey, CreateKeyInput, RevokeKeyInput } from './key-manager.js'
import type { KeyRefInput, RolledApiKey, RollKeyInput } from './key-lifecycle.js'
import type { KeyOwnerInput } from './key-owner.js'
import type { ApiKeyPage, ListKeyPageInput } from './key-listing.js'
import type { UpdateKeyInput } from './key-update.js'
import type { RevokeByKeyOptions, RevokeByKeyResult } from './revoke-by-key.js'
import type { UsageQuery, UsageReport } from './usage-report.js'
import type { ExpiryNotice, NotifyExpiringOptions } from './expiry-notifier.js'
import type { VerifyOptions } from './verifier.js'
import type { ChargeOptions } from './limiter.js'
import type { FailedAuthThrottle } from './failed-auth-throttle.js'
import type { PepperStatus } from './pepper-rotation.js'
import type { AuditPage, ListEventsInput } from './audit-listing.js'

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
  /**
   * Issues a key. `context` (who asks, from which request) goes into the `key.created` event.
   * @throws `VALIDATION_ERROR`, `KEY_LIMIT_REACHED`, `AUTH_UNAVAILABLE`.
   */
  createKey(input: CreateKeyInput, context?: ManagementContext): Promise<CreatedApiKey>
  /**
   * An owner's keys, revoked and expired ones included, oldest first; never a secret or hash.
   * A string is a user id (as in 0.1); `{ ownerType: 'org', ownerId }` lists an organisation's
   * or a service's keys. An owner this instance does not allow, or an invalid id, lists none.
   * For many keys use {@link ApiKeyAuth.listKeyPage}.
   */
  listKeys(owner: string | KeyOwnerInput): Promise<ApiKeyInfo[]>
  /**
   * Revokes a key its owner holds; revoking again returns the original `revokedAt`. `context`
   * (who asks, from which request, why) goes into the `key.revoked` event.
   * @throws `KEY_NOT_FOUND` when the key does not exist or belongs to someone else.
   */
  revokeKey(input: RevokeKeyInput, context?: ManagementContext): Promise<ApiKeyInfo>
  /**
   * Revokes a key from its full string, whoever owns it: for secret scanners and support
   * tooling. The checksum is checked offline first; a malformed, foreign or unknown key is
   * `{ status: 'not_found' }`, never an error. Revoking again is `already_revoked`.
   * @throws `AUTH_UNAVAILABLE` only (the store failed).
   */
  revokeByKey(key: unknown, options?: RevokeByKeyOptions): Promise<RevokeByKeyResult>
  /**
   * The key of a full key string as its owner sees it (revoked and expired ones included),
   * without verifying it or its scopes: for support tooling and leak reports. `null` for a
   * malformed, foreign or unknown key (the checksum is checked offline first).
   * @throws `AUTH_UNAVAILABLE` only (the store failed).
   */
  lookupKey(key: unknown): Promise<ApiKeyInfo | null>
  /**
   * Issues a new key copying the old one (name, scopes, metadata, expiry, any other field) and
   * shows it once; the old key keeps working for the grace period. `context` (who, from which
   * request) goes into the `key.rolled` event, as it does for the other lifecycle methods.
   * @throws `KEY_NOT_FOUND`, `KEY_STATE_CONFLICT` (revoked, disabled or expired),
   *   `VALIDATION_ERROR`, `NOT_SUPPORTED` (the store has no `roll`), `AUTH_UNAVAILABLE`.
   */
  rollKey(input: RollKeyInput, context?: ManagementContext): Promise<RolledApiKey>
  /**
   * Suspends a key: verification answers `KEY_DISABLED` on every instance until it is enabled.
   * @throws `KEY_NOT_FOUND`, `KEY_STATE_CONFLICT` (revoked), `NOT_SUPPORTED`, `AUTH_UNAVAILABLE`.
   */
  disableKey(input: KeyRefInput, context?: ManagementContext): Promise<ApiKeyInfo>
  /** Lifts a suspension. @throws as {@link ApiKeyAuth.disableKey}. */
  enableKey(input: KeyRefInput, context?: ManagementContext): Promise<ApiKeyInfo>
  /**
   * Renames a key, replaces its metadata, or narrows it (fewer scopes, an earlier expiry);
   * widening is `VALIDATION_ERROR` naming the field.
   * @throws `KEY_NOT_FOUND`, `VALIDATION_ERROR`, `KEY_STATE_CONFLICT`, `NOT_SUPPORTED`.
   */
  updateKey(input: UpdateKeyInput, context?: ManagementContext): Promise<ApiKeyInfo>
  /** One page of an owner's keys, oldest first, with a status filter and a cursor. */
  listKeyPage(input: ListKeyPageInput): Promise<ApiKeyPage>
  /**
   * One page of a key's audit log (`auditStore`), newest first, with a cursor: who created,
   * rolled, updated, disabled, enabled or revoked it, when, from where (docs/audit-log.md).
   * @throws `KEY_NOT_FOUND` (unknown, another owner's or another environment's key),
   *   `VALIDATION_ERROR`, `NOT_SUPPORTED` (no `auditStore`), `AUTH_UNAVAILABLE`.
   */
  listEvents(input: ListEventsInput): Promise<AuditPage>
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
   * Failed-authentication throttling (`limits.failedAuth`), which the guard of every adapter
   * consults with the request's client address; absent when the option is off
   * (docs/limits.md, "Failed-authentication throttling").
   */
  readonly failedAuthThrottle?: FailedAuthThrottle
  /**
   * Checks, once at set-up, the scopes a route will require: each must be well formed and, with
   * a registry, covered by it. Returns them frozen, for `verifyKey`/`authenticate` on each
   * request. Takes an array (all-of) or `{ anyOf: [...] }` (at least one, non-empty).
   * @throws `CONFIGURATION_ERROR`.
   */
  checkRouteScopes(scopes: readonly string[]): readonly string[]
  /** The any-of form of {@link ApiKeyAuth.(checkRouteScopes:1)}. */
  checkRouteScopes(scopes: AnyOfScopes): AnyOfScopes
  /** Either form of {@link ApiKeyAuth.(checkRouteScopes:1)}. */
  checkRouteScopes(scopes: RequiredScopes): RequiredScopes
  /**
   * The same as {@link ApiKeyAuth.checkRouteScopes}.
   * @deprecated Since 0.2: use `checkRouteScopes`; this name suggested a check per request.
   */
  requireScopes(scopes: readonly string[]): readonly string[]
  /** The HTTP response for any error: an {@link AuthError}'s own, anything else 503 (fail closed). */
  errorResponse(error: unknown): AuthErrorResponse
  /**
   * Pepper rotation progress: the current and previous pepper ids, how many records (not
   * revoked) still carry each digest version, and which previous peppers can be dropped.
   * @throws `AUTH_UNAVAILABLE` when the store fails.
   */
  pepperStatus(): Promise<PepperStatus>
  /** Sizes of the verification cache. */
  cacheStats(): CacheStats
  /** Drops expired cache entries now (they are otherwise dropped lazily). */
  sweepCache(): void
  /**
   * Subscribes to an event (docs/observability.md). Returns the function that unsubscribes.
   * Listeners run after the request that caused the event; one that throws or rejects is
   * logged and never affects a request. @throws `CONFIGURATION_ERROR` for an unknown name.
   */
  on<N extends AuthEventName>(name: N, listener: AuthEventListener<N>): () => void
  /**
   * A key's usage counts in `from <= minute < to` as the usage store holds them (counts of the
   * last `usageFlushMs` may not be written yet: see {@link ApiKeyAuth.flushUsage}).
   * @throws `CONFIGURATION_ERROR` without `usageStore`, `VALIDATION_ERROR`, `AUTH_UNAVAILABLE`.
   */
  usage(query: UsageQuery): Promise<UsageReport>
  /** Writes the usage counts gathered so far now; never rejects (a failure is retried later). */
  flushUsage(): Promise<void>
  /**
   * Emits `key.expiring` for keys within a threshold of their expiry (and `key.expired`), each
   * (key, threshold) exactly once across every instance sharing the `expiryStore`: safe to call
   * from every instance on a timer. Returns the warnings this call won.
   * @throws `CONFIGURATION_ERROR` without `expiryStore`, `VALIDATION_ERROR`, `AUTH_UNAVAILABLE`.
   */
  notifyExpiring(options: NotifyExpiringOptions): Promise<ExpiryNotice[]>
  /**
   * Stops listening to the store's revocations, delivers queued events and writes the usage
   * counts left. Await it before the process exits.
   */
  close(): Promise<void>
}
