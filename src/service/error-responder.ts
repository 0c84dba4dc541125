/**
 * `auth.errorResponse`: the HTTP form of whatever a guard caught. An `AuthError` answers as
 * itself; anything else is logged (described, never thrown again) and answered as a 503, so an
 * unexpected failure fails closed and never leaks its message.
 * @module
 */
import { AuthError, type AuthErrorResponse, isAuthError } from '../errors.js'
import { describeError } from '../lib/describe-error.js'
import type { AuthLogger } from '../options/types.js'

/** Builds `errorResponse` for one realm and logger. */
export function createErrorResponder(
  realm: string,
  logger: AuthLogger,
): (error: unknown) => AuthErrorResponse {
  return (error) => {
    if (isAuthError(error)) return error.toResponse({ realm })
    logger.error('unexpected error during authentication', { error: describeError(error) })
    return new AuthError('AUTH_UNAVAILABLE', { cause: error }).toResponse({ realm })
  }
}
