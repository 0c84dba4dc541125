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
 * - a hit asks the throttle's map only once per `touchIntervalMs` (`CachedKey.touchedAt`);
 * - the grammar and checksum are checked in one pass before any hash (api-key.ts).
 * @module
 */
import { isWellFormedKey, SECRET_LENGTH } from '../api-key.js'
import { parseBearerHeader } from '../bearer.js'
import { AuthError } from '../errors.js'
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
import { createOutcomeReport } from './outcome-report.js'
import type { ApiKeyPrincipal } from '../types.js'
import type { ServiceClock } from './clock.js'
import type { GuardedStore } from './guarded-store.js'
import type { DenialReporter } from './key-events.js'
import type { UsageCounter } from './usage-counter.js'
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
  const { report, loadedOk, loadFailed } = createOutcomeReport(deps)

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

  // `startedAt`: `performance.now()` before the store read, with telemetry only (else NaN).
  const afterLoad =
    (options: VerifyOptions | undefined, startedAt: number) =>
    (loaded: CachedKey | null): ApiKeyPrincipal => {
      const now = clock()
      if (loaded === null) {
        const error = new AuthError('KEY_NOT_FOUND')
        report(error, undefined, options, now, 'miss', startedAt)
        throw error
      }
      const result = decide(loaded, now, options)
      if (result instanceof AuthError) {
        report(result, loaded, options, now, 'miss', startedAt)
        throw result
      }
      loadedOk(result.keyId, now, startedAt)
      return result
    }

  const verifyKey = (key: unknown, options?: VerifyOptions): Promise<ApiKeyPrincipal> => {
    try {
      // The user head is checked here, not inside a helper: V8 then inlines the one-pass check
      // into this function as in 0.1 (behind a helper it did not, and a hit cost ~5 % more).
      if (
        typeof key !== 'string' ||
        (!isWellFormedKey(key, keyHead) && !isOtherOwnerKey(key, otherHeads))
      ) {
        return deny(new AuthError('INVALID_FORMAT'), undefined, options, Number.NaN, 'none')
      }
      const digest = hash(key)
      const now = clock()
      const cached = cache.hit(digest, now)
      if (cached !== undefined) {
        const result = decide(cached, now, options)
        if (result !== cached.principal) return deny(result, cached, options, now, 'hit')
        if (usage !== undefined) usage.count(result.keyId, now, 'OK')
        // Constant arguments: a hit allocates nothing here (the hook decides what it builds).
        if (telemetry !== undefined) telemetry.verified('OK', 'hit', Number.NaN, Number.NaN)
        return Promise.resolve(result)
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

  const authenticate = (
    authorization: unknown,
    options?: VerifyOptions,
  ): Promise<ApiKeyPrincipal> => {
    let key: string
    try {
      key = parseBearerHeader(authorization)
    } catch (error) {
      return deny(error, undefined, options, Number.NaN, 'none')
    }
    return verifyKey(key, options)
  }

  return { verifyKey, authenticate, touchedCount: () => lastTouch.size }
}

type Decision = (
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

// Asks for a `lastUsedAt` write at most once per key per interval; `touch` returns when the
// key's last write was asked for (now, or earlier when throttled).
function createTouchThrottle(deps: VerifierDeps): {
  touch: (keyId: string, now: number) => number
  lastTouch: Map<string, number>
} {
  const { store, touchIntervalMs, maxTouched } = deps
  const lastTouch = new Map<string, number>()
  const touch = (keyId: string, now: number): number => {
    if (!store.touches) return now
    const last = lastTouch.get(keyId)
    if (last !== undefined && now - last < touchIntervalMs) return last
    lastTouch.delete(keyId)
    lastTouch.set(keyId, now)
    if (lastTouch.size > maxTouched) lastTouch.delete(lastTouch.keys().next().value as string)
    store.touch(keyId, new Date(now))
    return now
  }
  return { touch, lastTouch }
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

/** The user id a well-formed key names (between the head and the secret). */
export function embeddedUserId(key: string, keyHead: string): string {
  return key.slice(keyHead.length, key.length - SECRET_LENGTH - 1)
}

// A well-formed key of another enabled owner kind (org, svc), asked only when the key is not a
// user key; with no other kinds enabled the loop does not run.
function isOtherOwnerKey(key: string, heads: readonly string[]): boolean {
  for (let i = 0; i < heads.length; i++) {
    if (isWellFormedKey(key, heads[i] as string)) return true
  }
  return false
}

/**
 * The stored owner (`userId` of the record) a well-formed key names: the embedded id for a user
 * key, `org:<id>` / `svc:<id>` for the others (see `ownerKey`).
 */
export function embeddedOwnerKey(
  key: string,
  keyHead: string,
  otherHeads: readonly string[],
): string {
  if (key.startsWith(keyHead)) return embeddedUserId(key, keyHead)
  for (const head of otherHeads) {
    if (key.startsWith(head)) {
      const kind = head.slice(head.lastIndexOf('_', head.length - 2) + 1, -1)
      return `${kind}:${embeddedUserId(key, head)}`
    }
  }
  return embeddedUserId(key, keyHead)
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
