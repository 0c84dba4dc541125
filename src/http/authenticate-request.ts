/**
 * API-key authentication of a framework-neutral request: the one path every adapter's
 * `requireApiKey` takes.
 * @module
 */
import type { ApiKeyAuth, FailedAuthThrottle, VerifyOptions } from '../create-api-key-auth.js'
import { AuthError, isAuthError } from '../errors.js'
import { type AuthenticateNow, authenticateNowOf } from '../lib/authenticate-now.js'
import { chargeNowOf } from '../lib/charge-now.js'
import { countHeaderLines } from '../lib/count-header-lines.js'
import { MAX_COST } from '../limits/schema.js'
import { assertAuthService, assertOptionsObject, describeArgument } from './check-arguments.js'
import { isAnyOfScopes, type RequiredScopes } from '../scope.js'
import type { ApiKeyPrincipal } from '../types.js'
import type { AuthRequest, AuthResult, OptionalAuthResult } from './types.js'

/**
 * Authenticates `request` by its `Authorization` header and checks `scopes`. Never rejects:
 * every failure, expected or not, comes back as the response to send (unknown errors as 503,
 * fail closed). Validate `scopes` once beforehand with `auth.checkRouteScopes`.
 *
 * @example
 * ```ts
 * const scopes = auth.checkRouteScopes(['models:read'])
 * const result = await authenticateRequest(auth, request, scopes)
 * if (!result.ok) return send(result.response)
 * ```
 * @deprecated Since 0.2: use {@link createApiKeyGuard}, which checks its arguments once at
 * set-up; "authenticate" then names only `auth.authenticate` (a header to a principal).
 */
export function authenticateRequest(
  auth: ApiKeyAuth,
  request: GuardedRequest,
  scopes: RequiredScopes = [],
): Promise<AuthResult> {
  const plan = guardPlan(auth, scopes, false, 1)
  return settledResult(guardRequest(plan, request, { scopes, request }))
}

// The one path of every guard: duplicate lines refused, then the service decides; every failure
// becomes the response to send. On a cache hit (the service answers in this turn: see
// lib/authenticate-now.ts) and without limits to charge, the result is returned in this turn
// too, so that an adapter can call the framework's `next()` without a promise or a microtask in
// between; only what is really pending (a store read, a limit store) is a promise.
// Limits come last (401 > 403 > 429), and only when some can apply: without limits on the key or
// instance defaults, a request costs one property read more than before.
export function guardRequest(
  plan: GuardPlan,
  request: GuardedRequest,
  options: VerifyOptions,
): AuthResult | Promise<AuthResult> {
  if (plan.throttle !== undefined) return guardThrottled(plan, plan.throttle, request, options)
  try {
    // Node keeps only the first Authorization line; two lines are ambiguous, so neither counts.
    if (countHeaderLines(request.rawHeaders, 'authorization') > 1) {
      throw new AuthError('INVALID_FORMAT', { reason: 'duplicate_header' })
    }
    // The request itself is the metadata: read (method, path, client address) only on a refusal
    // that someone listens to, so a success builds nothing more than before.
    const principal = plan.authenticate(request.headers.authorization, options)
    if (principal instanceof Promise) {
      return principal.then((verified) => plan.charge(verified, request), plan.fail)
    }
    return plan.charge(principal, request)
  } catch (error) {
    return plan.fail(error)
  }
}

// With failed-authentication throttling on: the throttle comes first, so an address over the
// cap is refused before its key is hashed or looked up, and only a 401 is counted
// (docs/limits.md). Its store calls are I/O anyway, so this path stays a plain async function.
async function guardThrottled(
  plan: GuardPlan,
  throttle: FailedAuthThrottle,
  request: GuardedRequest,
  options: VerifyOptions,
): Promise<AuthResult> {
  let address: string | undefined
  try {
    address = request.clientAddress
    // Over the cap: the 429 with Retry-After and the failed-auth policy's RateLimit headers.
    const refused = address === undefined ? undefined : throttle.refusal(address)
    if (refused !== undefined) return plan.fail(refused)
    if (countHeaderLines(request.rawHeaders, 'authorization') > 1) {
      throw new AuthError('INVALID_FORMAT', { reason: 'duplicate_header' })
    }
    const principal = await plan.authenticate(request.headers.authorization, options)
    return await plan.charge(principal, request)
  } catch (error) {
    if (address !== undefined && isAuthError(error) && error.status === 401) {
      const instead = await throttle.recordFailure(address, request)
      if (instead !== undefined) return plan.fail(instead)
    }
    return plan.fail(error)
  }
}

/** What a guard decided once, at set-up. */
export interface GuardPlan {
  readonly auth: ApiKeyAuth
  readonly scopes: RequiredScopes
  readonly optional: boolean
  /** `auth.authenticate`, in its synchronous form when it has one. */
  readonly authenticate: AuthenticateNow
  /** Failed-authentication throttling, when on. */
  readonly throttle: FailedAuthThrottle | undefined
  /** The verified principal to the result: charged against limits when some can apply. */
  readonly charge: (
    principal: ApiKeyPrincipal,
    request: GuardedRequest,
  ) => AuthResult | Promise<AuthResult>
  /** Any failure to the response to send (unknown errors: 503, fail closed). */
  readonly fail: (error: unknown) => AuthResult
}

function guardPlan(
  auth: ApiKeyAuth,
  scopes: RequiredScopes,
  optional: boolean,
  cost: number,
): GuardPlan {
  const defaults = auth.options.limits?.defaults !== undefined
  const fail = (error: unknown): AuthResult => ({ ok: false, response: auth.errorResponse(error) })
  // Whoever replaced `auth.chargeLimits` is called as before: their function does not carry it.
  const chargeNow = chargeNowOf(auth.chargeLimits)
  const charged = (principal: ApiKeyPrincipal) => (headers: Record<string, string>) =>
    ({ ok: true, principal, headers }) as AuthResult
  return {
    auth,
    scopes,
    optional,
    throttle: auth.failedAuthThrottle,
    // Whoever replaced `auth.authenticate` (a spy, a wrapper) is called as before.
    authenticate:
      authenticateNowOf(auth.authenticate) ??
      ((authorization, options) => auth.authenticate(authorization, options)),
    charge: (principal, request) => {
      if (principal.limits === undefined && !defaults) return { ok: true, principal }
      try {
        if (chargeNow === undefined) {
          return auth.chargeLimits(principal, { cost, request }).then(charged(principal), fail)
        }
        // A limit store that answers in this process charges in this turn: the result comes
        // back with the hit's, no promise in between (src/lib/charge-now.ts).
        const headers = chargeNow(principal, cost, request)
        if (headers instanceof Promise) return headers.then(charged(principal), fail)
        return headers instanceof AuthError ? fail(headers) : { ok: true, principal, headers }
      } catch (error) {
        return fail(error)
      }
    },
    fail,
  }
}

// The promise form every public guard returns: a result decided in this turn settles one tick
// later.
function settledResult<T>(result: T | Promise<T>): Promise<T> {
  return result instanceof Promise ? result : Promise.resolve(result)
}

/**
 * Options of {@link createApiKeyGuard}, what every adapter's `requireApiKey` takes: the service's
 * `VerifyOptions` (scopes, all-of or `{ anyOf }`, checked against the registry once, at set-up),
 * `optional`, and the cost the route charges against the key's usage limits.
 */
export interface ApiKeyGuardOptions extends VerifyOptions {
  /**
   * Lets a request without an `Authorization` header through with no principal (a public route
   * that gives more with a key). A header that is present, even empty, is still verified: a bad
   * one is 401/403/503, never anonymous. Default `false`.
   */
  optional?: boolean
  /**
   * Units a request to this route charges against the key's rate limits and credits: an
   * integer from 1 to 1000 (docs/limits.md). @defaultValue `1`
   */
  cost?: number
}

/**
 * What a guard reads of a request: the headers, and for the `auth.denied` event the method, path
 * and client address when the adapter knows them.
 */
export type GuardedRequest = Pick<AuthRequest, 'headers' | 'rawHeaders'> &
  Partial<Pick<AuthRequest, 'method' | 'path' | 'clientAddress'>>

/** Authenticates a request; built by {@link createApiKeyGuard}. Never rejects. */
export type ApiKeyGuard = (request: GuardedRequest) => Promise<AuthResult>

/**
 * Authenticates a request that may come without a key; built by {@link createApiKeyGuard} with
 * `optional: true`. Never rejects.
 */
export type OptionalApiKeyGuard = (request: GuardedRequest) => Promise<OptionalAuthResult>

/**
 * Checks the arguments of a `requireApiKey(auth, { scopes })` once, at set-up, and returns the
 * per-request check ({@link authenticateRequest} with those scopes). A missing or wrong service,
 * options that are not an object, or scopes that are neither an array nor `{ anyOf: [...] }` of
 * known scopes throw `CONFIGURATION_ERROR` saying what was expected. With `optional: true`, a
 * request without an `Authorization` header gets `{ ok: true, principal: null }`.
 *
 * @example
 * ```ts
 * const guard = createApiKeyGuard(auth, { scopes: ['models:read'] })
 * const result = await guard(request)
 * if (!result.ok) return send(result.response)
 * ```
 */
export function createApiKeyGuard(
  auth: ApiKeyAuth,
  options: ApiKeyGuardOptions & { optional: true },
): OptionalApiKeyGuard
/** {@inheritDoc (createApiKeyGuard:1)} */
export function createApiKeyGuard(auth: ApiKeyAuth, options?: ApiKeyGuardOptions): ApiKeyGuard
/** {@inheritDoc (createApiKeyGuard:1)} */
export function createApiKeyGuard(
  auth: ApiKeyAuth,
  options?: ApiKeyGuardOptions,
): ApiKeyGuard | OptionalApiKeyGuard
export function createApiKeyGuard(
  auth: ApiKeyAuth,
  options: ApiKeyGuardOptions = {},
): ApiKeyGuard | OptionalApiKeyGuard {
  const plan = planGuard(auth, options)
  const { scopes } = plan
  if (!plan.optional) {
    return (request) => settledResult(guardRequest(plan, request, { scopes, request }))
  }
  return (request) =>
    hasNoAuthorization(request)
      ? Promise.resolve(ANONYMOUS)
      : settledResult(guardRequest(plan, request, { scopes, request }))
}

/**
 * Checks the arguments of a `requireApiKey(auth, options)` once, at set-up (see
 * {@link createApiKeyGuard}), and decides what each request will do.
 */
export function planGuard(auth: ApiKeyAuth, options: ApiKeyGuardOptions = {}): GuardPlan {
  const call = 'requireApiKey'
  assertAuthService(auth, call, "requireApiKey(auth, { scopes: ['models:read'] })")
  assertOptionsObject(options, call, "{ scopes: ['models:read'] }")
  const requested: unknown = options?.scopes
  if (
    requested !== undefined &&
    !Array.isArray(requested) &&
    !isAnyOfScopes(requested as RequiredScopes)
  ) {
    throw new AuthError('CONFIGURATION_ERROR', {
      message: `${call}: scopes must be an array of scope strings such as ['models:read'], or { anyOf: [...] }, got ${describeArgument(requested)}`,
    })
  }
  const scopes = auth.checkRouteScopes((requested as RequiredScopes | undefined) ?? [])
  const optional: unknown = options?.optional
  if (optional !== undefined && typeof optional !== 'boolean') {
    throw new AuthError('CONFIGURATION_ERROR', {
      message: `${call}: optional must be true or false, got ${describeArgument(optional)}`,
    })
  }
  const cost = checkCost(options?.cost, call)
  return guardPlan(auth, scopes, optional === true, cost)
}

// A route's cost is the developer's: a bad one fails at set-up, never on a request.
function checkCost(cost: unknown, call: string): number {
  if (cost === undefined) return 1
  if (typeof cost !== 'number' || !Number.isInteger(cost) || cost < 1 || cost > MAX_COST) {
    throw new AuthError('CONFIGURATION_ERROR', {
      message: `${call}: cost must be an integer from 1 to ${MAX_COST}, got ${describeArgument(cost)}`,
    })
  }
  return cost
}

/** The result of an optional guard's request without an `Authorization` header. */
export const ANONYMOUS: OptionalAuthResult = Object.freeze({ ok: true, principal: null })

// No header line at all. An empty or blank header is present: it is verified (and refused).
export function hasNoAuthorization(request: Pick<AuthRequest, 'headers' | 'rawHeaders'>): boolean {
  return (
    request.headers.authorization === undefined &&
    countHeaderLines(request.rawHeaders, 'authorization') === 0
  )
}
