/**
 * API-key authentication of a framework-neutral request: the one path every adapter's
 * `requireApiKey` takes.
 * @module
 */
import type { ApiKeyAuth, VerifyOptions } from '../create-api-key-auth.js'
import { AuthError } from '../errors.js'
import { countHeaderLines } from '../lib/count-header-lines.js'
import { MAX_COST } from '../limits/schema.js'
import { assertAuthService, assertOptionsObject, describeArgument } from './check-arguments.js'
import type { AuthRequest, AuthResult } from './types.js'

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
  request: Pick<AuthRequest, 'headers' | 'rawHeaders'>,
  scopes: readonly string[] = [],
): Promise<AuthResult> {
  return authenticate(auth, request, scopes, {
    cost: 1,
    defaults: auth.options.limits?.defaults !== undefined,
  })
}

// The one path of every guard: duplicate lines refused, then the service decides; every failure
// becomes the response to send.
// Limits come last (401 > 403 > 429), and only when some can apply: without limits on the key or
// instance defaults, a request costs one property read more than before.
async function authenticate(
  auth: ApiKeyAuth,
  request: Pick<AuthRequest, 'headers' | 'rawHeaders'>,
  scopes: readonly string[],
  charge: { cost: number; defaults: boolean },
): Promise<AuthResult> {
  try {
    // Node keeps only the first Authorization line; two lines are ambiguous, so neither counts.
    if (countHeaderLines(request.rawHeaders, 'authorization') > 1) {
      throw new AuthError('INVALID_FORMAT', { reason: 'duplicate_header' })
    }
    const principal = await auth.authenticate(request.headers.authorization, { scopes })
    if (principal.limits === undefined && !charge.defaults) {
      return { ok: true, principal }
    }
    const headers = await auth.chargeLimits(principal, { cost: charge.cost })
    return { ok: true, principal, headers }
  } catch (error) {
    return { ok: false, response: auth.errorResponse(error) }
  }
}

/**
 * Options of {@link createApiKeyGuard}, what every adapter's `requireApiKey` takes: the service's
 * `VerifyOptions`, whose scopes are checked against the registry once, at set-up, and the cost
 * the route charges against the key's usage limits.
 */
export interface ApiKeyGuardOptions extends VerifyOptions {
  /**
   * Units a request to this route charges against the key's rate limits and credits: an
   * integer from 1 to 1000 (docs/limits.md). @defaultValue `1`
   */
  cost?: number
}

/** Authenticates a request; built by {@link createApiKeyGuard}. Never rejects. */
export type ApiKeyGuard = (
  request: Pick<AuthRequest, 'headers' | 'rawHeaders'>,
) => Promise<AuthResult>

/**
 * Checks the arguments of a `requireApiKey(auth, { scopes })` once, at set-up, and returns the
 * per-request check ({@link authenticateRequest} with those scopes). A missing or wrong service,
 * options that are not an object, or scopes that are not an array of known scopes throw
 * `CONFIGURATION_ERROR` saying what was expected.
 *
 * @example
 * ```ts
 * const guard = createApiKeyGuard(auth, { scopes: ['models:read'] })
 * const result = await guard(request)
 * if (!result.ok) return send(result.response)
 * ```
 */
export function createApiKeyGuard(auth: ApiKeyAuth, options: ApiKeyGuardOptions = {}): ApiKeyGuard {
  const call = 'requireApiKey'
  assertAuthService(auth, call, "requireApiKey(auth, { scopes: ['models:read'] })")
  assertOptionsObject(options, call, "{ scopes: ['models:read'] }")
  const requested: unknown = options?.scopes
  if (requested !== undefined && !Array.isArray(requested)) {
    throw new AuthError('CONFIGURATION_ERROR', {
      message: `${call}: scopes must be an array of scope strings such as ['models:read'], got ${describeArgument(requested)}`,
    })
  }
  const scopes = auth.checkRouteScopes((requested as readonly string[] | undefined) ?? [])
  const cost = checkCost(options?.cost, call)
  const charge = { cost, defaults: auth.options.limits?.defaults !== undefined }
  return (request) => authenticate(auth, request, scopes, charge)
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
