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
 * - a hit checks only the length cap and the head before hashing; the grammar and checksum
 *   (one pass, api-key.ts) are checked on a miss, before the negative cache and the store
 *   (`verifyString` says why that is sound).
 * @module
 */
import { isWellFormedKey, MAX_TOKEN_LENGTH } from '../api-key.js'
import { parseBearerHeader } from '../bearer.js'
import { AuthError } from '../errors.js'
import { AUTHENTICATE_NOW } from '../lib/authenticate-now.js'
import {
  type AnyOfScopes,
  hasAnyScope,
  hasScopes,
  isAnyOfScopes,
  missingScopes,
  type RequiredScopes,
} from '../scope.js'
import type { RequestMetadata } from '../events.js'
import type { AuthTelemetry } from '../telemetry.js'
import type { ApiKeyPrincipal } from '../types.js'
import type { ServiceClock } from './clock.js'
import type { GuardedStore } from './guarded-store.js'
import type { DenialReporter } from './key-events.js'
import { createDenial, createRefusalReport } from './refusal-report.js'
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

  const { deny, invalidFormat } = createDenial(report)
  const { miss } = createLoadHandlers(deps, decide, report)

  // A presented string. The hit path first: a token of a bounded length that starts with an
  // accepted head is hashed and looked up before its grammar and checksum are checked. A
  // positive entry is only ever made for the digest of a key that passed the full check (on
  // the miss below), and the digest of any other string differs (a key is ASCII, and UTF-8 maps
  // every other string to other bytes), so a hit proves the token is that well-formed key; the
  // one-pass check was a third of a hit's own cost (docs/benchmarks.md). Anything that does not
  // hit gets the full check before the negative cache or the store is asked: a malformed or
  // checksum-invalid key is INVALID_FORMAT with no store lookup and no cache entry, as always.
  // `header`: the `Bearer <key>` header `key` was cut from, parsed in full when `key` is not a
  // well-formed key (other casing, extra spaces); `undefined` for a bare key.
  const verifyString = (
    key: string,
    options: VerifyOptions | undefined,
    header: string | undefined,
  ): ApiKeyPrincipal | Promise<ApiKeyPrincipal> => {
    let digest = ''
    let now = Number.NaN
    let failure: unknown = NO_FAILURE
    if (
      key.length <= MAX_TOKEN_LENGTH &&
      (key.startsWith(keyHead) || hasOtherHead(key, otherHeads))
    ) {
      try {
        digest = hash(key)
        now = clock()
        const cached = cache.hit(digest, now)
        if (cached !== undefined) {
          const result = decide(cached, now, options)
          if (result !== cached.principal) return deny(result, cached, options, now, 'hit')
          if (usage !== undefined) usage.count(result.keyId, now, 'OK')
          // Constant arguments: a hit allocates nothing here (the hook decides what it builds).
          if (telemetry !== undefined) telemetry.verified('OK', 'hit', Number.NaN, Number.NaN)
          return result
        }
      } catch (error) {
        // Reported below once the key is known to be well formed (else it is INVALID_FORMAT).
        failure = error
      }
    }
    // Every well-formed key of an accepted head passed the gate above, so it has its digest.
    if (isWellFormedKey(key, keyHead) || isOtherOwnerKey(key, otherHeads)) {
      if (failure === NO_FAILURE) return miss(digest, key, now, options)
      // The clock or the hasher failing is still a rejection, never a synchronous throw.
      report(failure, undefined, options, Number.NaN, 'none', Number.NaN)
      return Promise.reject(failure)
    }
    if (header !== undefined) return authenticateParsed(header, options, key)
    return invalidFormat(options)
  }

  const verifyNow = (
    key: unknown,
    options: VerifyOptions | undefined,
  ): ApiKeyPrincipal | Promise<ApiKeyPrincipal> =>
    typeof key === 'string' ? verifyString(key, options, undefined) : invalidFormat(options)

  // Any header but an exact `Bearer <well-formed key>`: parsed in full. `tried` is the key the
  // shortcut already found malformed (the same string is not checked twice).
  const authenticateParsed = (
    authorization: unknown,
    options: VerifyOptions | undefined,
    tried: string | undefined,
  ): ApiKeyPrincipal | Promise<ApiKeyPrincipal> => {
    let key: string
    try {
      key = parseBearerHeader(authorization)
    } catch (error) {
      return deny(error, undefined, options, Number.NaN, 'none')
    }
    return key === tried ? invalidFormat(options) : verifyNow(key, options)
  }

  // What `authenticate` answers, synchronously on a cache hit (lib/authenticate-now.ts).
  // `Bearer <key>` exactly, as clients send it: a well-formed key holds only token68 characters
  // and no whitespace, so parseBearerHeader would return this very key. Scanning the header once
  // instead of twice is a measurable share of a hit (docs/benchmarks.md); anything else (other
  // casing, extra spaces, a malformed key) takes the full parse.
  const authenticateNow = (
    authorization: unknown,
    options?: VerifyOptions,
  ): ApiKeyPrincipal | Promise<ApiKeyPrincipal> =>
    typeof authorization === 'string' && authorization.startsWith('Bearer ')
      ? verifyString(authorization.slice(7), options, authorization)
      : authenticateParsed(authorization, options, undefined)

  return { ...promiseForms(verifyNow, authenticateNow), touchedCount: () => lastTouch.size }
}

// Marks "nothing failed" on the hit path (any value, `undefined` included, can be thrown).
const NO_FAILURE: unique symbol = Symbol('no failure')

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

// Whether the key starts like a key of another enabled owner kind (org, svc): asked only when
// it is not a user key's start; with no other kinds enabled the loop does not run.
function hasOtherHead(key: string, heads: readonly string[]): boolean {
  for (let i = 0; i < heads.length; i++) {
    if (key.startsWith(heads[i] as string)) return true
  }
  return false
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
