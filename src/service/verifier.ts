/**
 * Verification: a presented key (or `Authorization` header) to a principal or an `AuthError`,
 * with the `lastUsedAt` throttle. Internal: not exported from the package.
 *
 * The cache-hit path lives here, whole, and is kept cheap on purpose (pinned by
 * test/hot-path.test.ts; measured by `npm run bench`):
 * - `verifyKey` is not `async`: a hit settles through `Promise.resolve`, and a rejection decided
 *   without I/O (malformed, checksum, negative cache, a cached key that fails) through
 *   `rejectLater`, which spares Node's unhandled-rejection bookkeeping;
 * - `decide` returns its error instead of throwing it, so a hit never unwinds a stack (and 4xx
 *   `AuthError`s capture none, see errors.ts);
 * - a hit asks the throttle's map (touch-throttle.ts) only once per `touchIntervalMs`
 *   (`CachedKey.touchedAt`);
 * - a hit answers in the same turn to the HTTP layer (`authenticate[AUTHENTICATE_NOW]`,
 *   lib/authenticate-now.ts), and an exact `Bearer <key>` header is scanned once, not twice;
 * - the grammar and checksum are checked in one pass before any hash (api-key.ts).
 * @module
 */
import { isWellFormedKey } from '../api-key.js'
import { parseBearerHeader } from '../bearer.js'
import { AuthError } from '../errors.js'
import { AUTHENTICATE_NOW } from '../lib/authenticate-now.js'
import { rejectLater } from '../lib/reject-later.js'
import {
  type AnyOfScopes,
  hasAnyScope,
  hasScopes,
  isAnyOfScopes,
  missingScopes,
  type RequiredScopes,
} from '../scope.js'
import type { RequestMetadata } from '../events.js'
import type { AuthTelemetry, VerificationSource } from '../telemetry.js'
import type { ApiKeyPrincipal } from '../types.js'
import type { ServiceClock } from './clock.js'
import type { GuardedStore } from './guarded-store.js'
import type { DenialReporter } from './key-events.js'
import { createRefusalReport } from './refusal-report.js'
import { createLoadHandlers } from './load-handlers.js'
import { createTouchThrottle } from './touch-throttle.js'
import type { UsageCounter } from './usage-counter.js'
// The owner a key names: moved to key-owner.ts, still importable from here.
export { embeddedOwnerKey, embeddedUserId } from './key-owner.js'
import type { CachedKey, VerificationCache } from './verification-cache.js'

/** Options of `verifyKey` and `authenticate`. */
export interface VerifyOptions {
  /**
   * Scopes the key must hold: all of them (an array), or at least one (`{ anyOf: [...] }`).
   */
  scopes?: RequiredScopes
  /**
   * What the adapter knows of the request (method, path, client address), for the `auth.denied`
   * event. Read only when a verification is refused and someone listens.
   */
  request?: RequestMetadata
}

/** What {@link createVerifier} needs. */
export interface VerifierDeps {
  /** `<prefix>_<environment>_user_`: the start of every user key this instance accepts. */
  keyHead: string
  /** Heads of the other owner kinds accepted (`…_org_`, `…_svc_`); empty by default. */
  otherHeads: readonly string[]
  /** The verification cache's key of a key: its digest (binary form, digest-scheme.ts). */
  hash: (key: string) => string
  clock: ServiceClock
  cache: VerificationCache
  store: GuardedStore
  touchIntervalMs: number
  clockToleranceMs: number
  /** Most keys whose last `touch` time is remembered. */
  maxTouched: number
  /** Reports refusals as `auth.denied` (it checks for listeners itself). */
  denied: DenialReporter
  /** Counts outcomes per key, when usage counting is on. */
  usage: UsageCounter | undefined
  /** Told every outcome, when the `telemetry` option is given. */
  telemetry: AuthTelemetry | undefined
}

/** The verification half of the service. */
export interface Verifier {
  verifyKey(key: unknown, options?: VerifyOptions): Promise<ApiKeyPrincipal>
  authenticate(authorization: unknown, options?: VerifyOptions): Promise<ApiKeyPrincipal>
  /** Keys whose last `touch` time is remembered. */
  touchedCount(): number
}

/** Builds the verifier over a cache that reads through `deps.store`. */
export function createVerifier(deps: VerifierDeps): Verifier {
  const { keyHead, otherHeads, hash, clock, cache, usage, telemetry } = deps
  const { touch, lastTouch } = createTouchThrottle(deps)
  const report = createRefusalReport(deps)

  const decide = createDecision(deps, touch)

  // A refusal: reported (`auth.denied`, usage by key) and rejected one tick later. Never on the
  // path of a successful hit.
  const deny = (
    error: unknown,
    cached: CachedKey | undefined,
    options: VerifyOptions | undefined,
    now: number,
    source: VerificationSource,
  ): Promise<never> => {
    report(error, cached, options, now, source, Number.NaN)
    return rejectLater(error)
  }

  const { afterLoad, loadFailed } = createLoadHandlers(deps, decide, report)

  // An accepted key (well formed, of an owner kind this instance takes): the principal itself on
  // a cache hit, in this turn; a promise when the store must be read or the key is refused.
  const verifyAccepted = (
    key: string,
    options: VerifyOptions | undefined,
  ): ApiKeyPrincipal | Promise<ApiKeyPrincipal> => {
    try {
      const digest = hash(key)
      const now = clock()
      const cached = cache.hit(digest, now)
      if (cached !== undefined) {
        const result = decide(cached, now, options)
        if (result !== cached.principal) return deny(result, cached, options, now, 'hit')
        if (usage !== undefined) usage.count(result.keyId, now, 'OK')
        // Constant arguments: a hit allocates nothing here (the hook decides what it builds).
        if (telemetry !== undefined) telemetry.verified('OK', 'hit', Number.NaN, Number.NaN)
        return result
      }
      if (cache.knownMissing(digest, now)) {
        return deny(new AuthError('KEY_NOT_FOUND'), undefined, options, now, 'negative')
      }
      const startedAt = telemetry === undefined ? Number.NaN : performance.now()
      return cache
        .load(digest, key, now)
        .then(afterLoad(options, startedAt), loadFailed(options, startedAt))
    } catch (error) {
      // The clock or the hasher failing is still a rejection, never a synchronous throw.
      report(error, undefined, options, Number.NaN, 'none', Number.NaN)
      return Promise.reject(error)
    }
  }

  const verifyNow = (
    key: unknown,
    options: VerifyOptions | undefined,
  ): ApiKeyPrincipal | Promise<ApiKeyPrincipal> => {
    // The user head is checked here, not inside a helper: V8 then inlines the one-pass check
    // into this function as in 0.1 (behind a helper it did not, and a hit cost ~5 % more).
    if (
      typeof key === 'string' &&
      (isWellFormedKey(key, keyHead) || isOtherOwnerKey(key, otherHeads))
    ) {
      return verifyAccepted(key, options)
    }
    try {
      return deny(new AuthError('INVALID_FORMAT'), undefined, options, Number.NaN, 'none')
    } catch (error) {
      return Promise.reject(error)
    }
  }

  // What `authenticate` answers, synchronously on a cache hit (lib/authenticate-now.ts).
  const authenticateNow = (
    authorization: unknown,
    options?: VerifyOptions,
  ): ApiKeyPrincipal | Promise<ApiKeyPrincipal> => {
    // `Bearer <key>` exactly, as clients send it: a well-formed key holds only token68
    // characters and no whitespace, so parseBearerHeader would return this very key. Scanning
    // the header once instead of twice is a measurable share of a hit (docs/benchmarks.md);
    // anything else (other casing, extra spaces, a malformed key) takes the full parse below.
    if (typeof authorization === 'string' && authorization.startsWith('Bearer ')) {
      const key = authorization.slice(7)
      // Inlined as in verifyNow.
      if (isWellFormedKey(key, keyHead) || isOtherOwnerKey(key, otherHeads)) {
        return verifyAccepted(key, options)
      }
    }
    let key: string
    try {
      key = parseBearerHeader(authorization)
    } catch (error) {
      return deny(error, undefined, options, Number.NaN, 'none')
    }
    return verifyNow(key, options)
  }

  return { ...promiseForms(verifyNow, authenticateNow), touchedCount: () => lastTouch.size }
}

type Answer = (
  value: unknown,
  options?: VerifyOptions,
) => ApiKeyPrincipal | Promise<ApiKeyPrincipal>

// The public, promise-returning `verifyKey` and `authenticate`; the latter carries its
// synchronous form for the HTTP layer (lib/authenticate-now.ts).
function promiseForms(
  verifyNow: Answer,
  authenticateNow: Answer,
): Pick<Verifier, 'verifyKey' | 'authenticate'> {
  return {
    verifyKey: (key, options) => settled(verifyNow(key, options)),
    authenticate: Object.assign(
      (authorization: unknown, options?: VerifyOptions): Promise<ApiKeyPrincipal> =>
        settled(authenticateNow(authorization, options)),
      { [AUTHENTICATE_NOW]: authenticateNow },
    ),
  }
}

// A hit's principal settles one tick later, as it always has; anything pending is returned as is.
// (A principal is a frozen plain object, never a promise.)
function settled(value: ApiKeyPrincipal | Promise<ApiKeyPrincipal>): Promise<ApiKeyPrincipal> {
  return value instanceof Promise ? value : Promise.resolve(value)
}

/** The decision on a cached or loaded key: the principal, or the error to reject with. */
export type Decision = (
  cached: CachedKey,
  now: number,
  options: VerifyOptions | undefined,
) => ApiKeyPrincipal | AuthError

// The decision on a cached or loaded key: the principal, or the error to reject with.
function createDecision(
  deps: VerifierDeps,
  touch: (keyId: string, now: number) => number,
): Decision {
  const { touchIntervalMs, clockToleranceMs, store } = deps
  return (
    cached: CachedKey,
    now: number,
    options: VerifyOptions | undefined,
  ): ApiKeyPrincipal | AuthError => {
    // A usable key costs two comparisons; the refusal itself is worked out only for the others.
    if (cached.refusal !== null || now >= cached.expiresAtMs + clockToleranceMs) {
      const refused = stateRefusal(cached, now, clockToleranceMs)
      if (refused !== null) return refused
    }
    const required = options?.scopes
    // The array form (all of) first: it is what nearly every route requires.
    if (required === undefined) {
      // Nothing required.
    } else if (Array.isArray(required)) {
      if (required.length > 0 && !hasScopes(cached.principal.scopes, required)) {
        return new AuthError('INSUFFICIENT_SCOPE', {
          requiredScopes: missingScopes(cached.principal.scopes, required),
        })
      }
    } else if (isAnyOfScopes(required)) {
      const refused = refuseAnyOf(cached.principal.scopes, required)
      if (refused !== undefined) return refused
    } else {
      // Anything else would skip the checks above: refuse it, never grant.
      throw new AuthError('CONFIGURATION_ERROR', { message: 'Required scopes must be an array' })
    }
    if (now - cached.touchedAt >= touchIntervalMs) {
      cached.touchedAt = touch(cached.principal.keyId, now)
      if (cached.startsGrace) startGrace(store, cached, now)
    }
    return cached.principal
  }
}

// The any-of decision: undefined when a scope of `anyOf` is held; a 403 naming every
// alternative otherwise (any one of them would do). An empty or non-array list grants nothing.
function refuseAnyOf(granted: readonly string[], required: AnyOfScopes): AuthError | undefined {
  const anyOf = required.anyOf
  if (!Array.isArray(anyOf) || anyOf.length === 0) {
    throw new AuthError('CONFIGURATION_ERROR', {
      message: 'Required scopes { anyOf } must be a non-empty array',
    })
  }
  if (hasAnyScope(granted, anyOf)) return undefined
  return new AuthError('INSUFFICIENT_SCOPE', { requiredScopes: missingScopes([], anyOf) })
}

// A well-formed key of another enabled owner kind (org, svc), asked only when the key is not a
// user key; with no other kinds enabled the loop does not run.
function isOtherOwnerKey(key: string, heads: readonly string[]): boolean {
  for (let i = 0; i < heads.length; i++) {
    if (isWellFormedKey(key, heads[i] as string)) return true
  }
  return false
}

// Revoked, expired (own expiry or a roll's grace end), disabled, in that order; `null` for a
// usable key, which costs two comparisons (the refusal was decided when the entry was made).
function stateRefusal(cached: CachedKey, now: number, toleranceMs: number): AuthError | null {
  const expired = now >= cached.expiresAtMs + toleranceMs
  if (cached.refusal !== null && (cached.refusal === 'KEY_REVOKED' || !expired)) {
    return new AuthError(cached.refusal)
  }
  return expired ? new AuthError('KEY_EXPIRED') : null
}

// The first successful use of a key issued by a 'firstUse' roll starts the old key's grace, in
// the store (so every instance agrees on its end). Off the request path; a failure is logged by
// the guarded store and the next verification asks again.
function startGrace(store: GuardedStore, cached: CachedKey, now: number): void {
  cached.startsGrace = false
  store.startRollGrace(cached.principal.keyId, new Date(now), () => {
    cached.startsGrace = true
  })
}
