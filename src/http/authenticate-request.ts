/**
 * API-key authentication of a framework-neutral request: the one path every adapter's
 * `requireApiKey` takes.
 * @module
 */
import type { ApiKeyAuth } from '../create-api-key-auth.js'
import { AuthError } from '../errors.js'
import { countHeaderLines } from '../lib/count-header-lines.js'
import type { AuthRequest, AuthResult } from './types.js'

/**
 * Authenticates `request` by its `Authorization` header and checks `scopes`. Never rejects:
 * every failure, expected or not, comes back as the response to send (unknown errors as 503,
 * fail closed). Validate `scopes` once beforehand with `auth.requireScopes`.
 *
 * @example
 * ```ts
 * const scopes = auth.requireScopes(['models:read'])
 * const result = await authenticateRequest(auth, request, scopes)
 * if (!result.ok) return send(result.response)
 * ```
 */
export async function authenticateRequest(
  auth: ApiKeyAuth,
  request: Pick<AuthRequest, 'headers' | 'rawHeaders'>,
  scopes: readonly string[] = [],
): Promise<AuthResult> {
  try {
    // Node keeps only the first Authorization line; two lines are ambiguous, so neither counts.
    if (countHeaderLines(request.rawHeaders, 'authorization') > 1) {
      throw new AuthError('INVALID_FORMAT', { reason: 'duplicate_header' })
    }
    const principal = await auth.authenticate(request.headers.authorization, { scopes })
    return { ok: true, principal }
  } catch (error) {
    return { ok: false, response: auth.errorResponse(error) }
  }
}
