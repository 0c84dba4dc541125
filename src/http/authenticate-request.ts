/**
 * API-key authentication of a framework-neutral request: the one path every adapter's
 * `requireApiKey` takes.
 * @module
 */
import type { ApiKeyAuth, VerifyOptions } from '../create-api-key-auth.js'
import { AuthError } from '../errors.js'
import { countHeaderLines } from '../lib/count-header-lines.js'
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
  request: GuardedRequest,
  scopes: readonly string[] = [],
): Promise<AuthResult> {
  return authenticate(auth, request, scopes)
}

// The one path of every guard: duplicate lines refused, then the service decides; every failure
// becomes the response to send.
async function authenticate(
  auth: ApiKeyAuth,
  request: GuardedRequest,
  scopes: readonly string[],
): Promise<AuthResult> {
  try {
    // Node keeps only the first Authorization line; two lines are ambiguous, so neither counts.
    if (countHeaderLines(request.rawHeaders, 'authorization') > 1) {
      throw new AuthError('INVALID_FORMAT', { reason: 'duplicate_header' })
    }
    // The request itself is the metadata: read (method, path, client address) only on a refusal
    // that someone listens to, so a success builds nothing more than before.
    const principal = await auth.authenticate(request.headers.authorization, { scopes, request })
    return { ok: true, principal }
  } catch (error) {
    return { ok: false, response: auth.errorResponse(error) }
  }
}

/**
 * Options of {@link createApiKeyGuard}, what every adapter's `requireApiKey` takes: the service's
 * `VerifyOptions`, whose scopes are checked against the registry once, at set-up.
 */
export type ApiKeyGuardOptions = VerifyOptions

/**
 * What a guard reads of a request: the headers, and for the `auth.denied` event the method, path
 * and client address when the adapter knows them.
 */
export type GuardedRequest = Pick<AuthRequest, 'headers' | 'rawHeaders'> &
  Partial<Pick<AuthRequest, 'method' | 'path' | 'clientAddress'>>

/** Authenticates a request; built by {@link createApiKeyGuard}. Never rejects. */
export type ApiKeyGuard = (request: GuardedRequest) => Promise<AuthResult>

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
  return (request) => authenticate(auth, request, scopes)
}
