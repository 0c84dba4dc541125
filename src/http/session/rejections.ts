/**
 * Why a session was rejected: the reason codes, the operator's hint for each, the log line, and
 * the mapping of the JWT verifier's errors to reasons. Nothing here ever holds a token, a cookie
 * or a claim value.
 * @module
 */
import { errors as joseErrors } from 'jose'
import { AuthError } from '../../errors.js'
import { describeError } from '../../lib/describe-error.js'
import type { AuthLogger } from '../../options/types.js'
import type { SessionLogLevel, SessionOptions, SessionRequest } from '../../options/session.js'

/** Longest session cookie read; a longer one is rejected before any verification. */
export const MAX_SESSION_TOKEN_LENGTH = 8192

/**
 * Why a session was rejected: the `reason` of its `SESSION_REQUIRED` error and of the log line.
 * Fixed codes, never request data.
 */
export type SessionRejectionReason =
  | 'no_session_config'
  | 'no_cookie'
  | 'bearer_jwt'
  | 'jwt_in_other_cookie'
  | 'token_too_long'
  | 'malformed_token'
  | 'algorithm_not_allowed'
  | 'bad_signature'
  | 'no_matching_key'
  | 'expired'
  | 'not_yet_valid'
  | 'missing_claim'
  | 'claim_mismatch'
  | 'invalid_token'
  | 'invalid_subject'
  | 'no_user'

// What an operator should look at, per reason. Fixed text: nothing from the request.
const HINTS: Record<SessionRejectionReason, string> = {
  no_session_config:
    'no session options: set session.jwt or session.authenticate in createApiKeyAuth',
  no_cookie: 'the request has no session cookie',
  bearer_jwt:
    'no session cookie, but a JWT was sent as Authorization: Bearer; the session is read from the cookie only',
  jwt_in_other_cookie:
    'no session cookie, but another cookie holds a JWT: is session.cookie the right name?',
  token_too_long: 'the session cookie is longer than 8192 characters',
  malformed_token: 'the session cookie is not a well-formed JWT',
  algorithm_not_allowed: 'the token is signed with an algorithm not in session.jwt.algorithms',
  bad_signature:
    'the token signature does not verify: signed with another secret or key than session.jwt has',
  no_matching_key: 'no key of the key set matches the token (kid/alg)',
  expired: 'the token has expired (exp)',
  not_yet_valid: 'the token is not valid yet (nbf)',
  missing_claim: 'the token lacks a required claim',
  claim_mismatch: 'a claim does not match session.jwt (issuer, audience) or is malformed',
  invalid_token: 'the token was rejected by the JWT verifier',
  invalid_subject:
    'the user id is not embeddable in a key ([A-Za-z0-9_-]{1,64}): map claims to one with session.jwt.userId',
  no_user: 'the session hook or session.jwt.userId returned no user',
}

/**
 * The logger of rejected sessions, at the level `session.logRejections` chose (by default
 * `'info'`, or off when `NODE_ENV` is `'production'`). Internal: the routes use it too, for a
 * JWT sent as a Bearer token to a route that takes API keys.
 * @internal
 */
export function createSessionRejectionLog(options: {
  session: SessionOptions | undefined
  sessionCookie: string
  logger: AuthLogger
}): (reason: SessionRejectionReason, detail?: Record<string, unknown>) => void {
  const level = rejectionLogLevel(options.session?.logRejections)
  if (level === false) return () => {}
  const { logger } = options
  const write =
    (level === 'debug' ? logger.debug : undefined) ??
    (level !== 'warn' ? logger.info : undefined) ??
    logger.warn
  return (reason, detail = {}) => {
    write.call(logger, `session rejected (${reason}): ${HINTS[reason]}`, {
      reason,
      cookie: options.sessionCookie,
      ...detail,
    })
  }
}

function rejectionLogLevel(level: SessionLogLevel | undefined): SessionLogLevel {
  if (level !== undefined) return level
  try {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
      ?.env
    return env?.NODE_ENV === 'production' ? false : 'info'
  } catch {
    // Deno without --allow-env throws on reading the environment: no NODE_ENV, so the default.
    return 'info'
  }
}

const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/
const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/

/** True when `value` looks like a compact JWS (no verification). @internal */
export function looksLikeJwt(value: unknown): boolean {
  return (
    typeof value === 'string' && value.length <= MAX_SESSION_TOKEN_LENGTH && JWT_SHAPE.test(value)
  )
}

/** True when an `Authorization` header carries `Bearer <something JWT-shaped>`. @internal */
export function isBearerJwt(header: unknown): boolean {
  if (typeof header !== 'string') return false
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header)
  return match !== null && looksLikeJwt(match[1])
}

// No session cookie: say where the token went instead, if we can tell without trusting it.
export function missingCookie(
  request: SessionRequest,
  cookie: string,
): [SessionRejectionReason, Record<string, unknown>?] {
  if (isBearerJwt(request.headers.authorization)) return ['bearer_jwt']
  // Cookie names are the client's, but only token characters are kept, and only a few.
  const others = Object.keys(request.cookies)
    .filter(
      (name) => name !== cookie && COOKIE_NAME.test(name) && looksLikeJwt(request.cookies[name]),
    )
    .slice(0, 3)
  if (others.length > 0) return ['jwt_in_other_cookie', { jwtCookies: others }]
  return ['no_cookie']
}

// What is wrong with a would-be user id, in words that never repeat it.
export function userIdProblem(value: unknown): string {
  if (typeof value !== 'string')
    return value === undefined ? 'missing' : `not a string (${typeof value})`
  if (value.length === 0) return 'empty'
  if (value.length > 64) return `longer than 64 characters (${value.length})`
  return 'has characters outside [A-Za-z0-9_-]'
}

// A token the verifier rejects is the client's problem (401); a key set that cannot be fetched
// is ours (503), and must not look like a bad session.
export function classifyJwtError(
  cause: unknown,
  logger: AuthLogger,
): { reason: SessionRejectionReason; detail?: Record<string, unknown> } {
  // jose reports a key-set response that is not 200 OK as its generic error.
  const unavailable =
    !(cause instanceof joseErrors.JOSEError) ||
    cause instanceof joseErrors.JWKSTimeout ||
    cause instanceof joseErrors.JWKSInvalid ||
    cause.code === 'ERR_JOSE_GENERIC'
  if (unavailable) {
    logger.error('session key set unavailable', { error: describeError(cause) })
    throw new AuthError('AUTH_UNAVAILABLE', { cause, reason: 'jwks_unavailable' })
  }
  if (cause instanceof joseErrors.JWTExpired) return { reason: 'expired' }
  if (cause instanceof joseErrors.JWTClaimValidationFailed) {
    // The claim's name only: its value may be personal data.
    const claim = String(cause.claim)
    if (cause.reason === 'missing') return { reason: 'missing_claim', detail: { claim } }
    if (claim === 'nbf') return { reason: 'not_yet_valid' }
    return { reason: 'claim_mismatch', detail: { claim } }
  }
  if (cause instanceof joseErrors.JWSSignatureVerificationFailed) return { reason: 'bad_signature' }
  if (cause instanceof joseErrors.JOSEAlgNotAllowed) return { reason: 'algorithm_not_allowed' }
  if (
    cause instanceof joseErrors.JWKSNoMatchingKey ||
    cause instanceof joseErrors.JWKSMultipleMatchingKeys
  ) {
    return { reason: 'no_matching_key' }
  }
  if (cause instanceof joseErrors.JWSInvalid || cause instanceof joseErrors.JWTInvalid) {
    return { reason: 'malformed_token' }
  }
  return { reason: 'invalid_token', detail: { joseCode: cause.code } }
}
