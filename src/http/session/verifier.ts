/**
 * Session authentication for the key-management routes: a JWT in a cookie, verified with
 * `jose`, or the application's own `session.authenticate` hook.
 * @module
 */
import { jwtVerify } from 'jose'
import { isValidUserId } from '../../api-key.js'
import { AuthError, isAuthError } from '../../errors.js'
import type { AuthLogger } from '../../options/types.js'
import {
  type SessionClaims,
  type SessionOptions,
  type SessionRequest,
  sessionOptionsOf,
} from '../../options/session.js'
import { describeError } from '../../lib/describe-error.js'
import { resolveJwtKey } from './jwt-key.js'
import {
  classifyJwtError,
  createSessionRejectionLog,
  MAX_SESSION_TOKEN_LENGTH,
  missingCookie,
  type SessionRejectionReason,
  userIdProblem,
} from './rejections.js'

/** The signed-in user a session names. */
export interface SessionUser {
  userId: string
}

/** Checks a request's session; resolves the user or throws `SESSION_REQUIRED` / `AUTH_UNAVAILABLE`. */
export type SessionVerifier = (request: SessionRequest) => Promise<SessionUser>

/** What {@link createSessionVerifier} needs from the resolved auth options. */
export interface SessionVerifierOptions {
  session: SessionOptions | undefined
  /** Name of the session cookie. */
  sessionCookie: string
  /** The clock, for `exp` and `nbf`. */
  now: () => Date | number
  logger: AuthLogger
}

/**
 * Builds the session check from the auth options, once. Keys and algorithms are settled here;
 * a key that cannot be read, or algorithms that do not fit it, throw `CONFIGURATION_ERROR`.
 * Without `session` options every request gets `SESSION_REQUIRED`.
 *
 * @example
 * ```ts
 * const verify = createSessionVerifier(auth.options)
 * const { userId } = await verify({ headers, cookies: { __session: jwt } })
 * ```
 */
export function createSessionVerifier(options: SessionVerifierOptions): SessionVerifier {
  const { logger } = options
  // `auth.options` shows no JWT secret; the full options stay in a WeakMap beside it.
  const session = sessionOptionsOf(options) ?? options.session
  const cookie = options.sessionCookie
  const logRejection = createSessionRejectionLog(options)
  // Every 401 goes through here: one generic answer, one logged reason.
  const reject = (reason: SessionRejectionReason, detail: Record<string, unknown> = {}): never => {
    logRejection(reason, detail)
    throw new AuthError('SESSION_REQUIRED', { reason })
  }
  if (session === undefined) {
    return () => Promise.resolve().then(() => reject('no_session_config'))
  }
  if (session.authenticate !== undefined) {
    const hook = session.authenticate
    return async (request) => {
      let user: { userId: string } | null
      try {
        user = await hook(request)
      } catch (cause) {
        if (isAuthError(cause)) throw cause
        logger.error('session.authenticate failed', { error: describeError(cause) })
        throw new AuthError('AUTH_UNAVAILABLE', { cause, reason: 'session_hook_error' })
      }
      if (user === null || user === undefined) return reject('no_user')
      if (typeof user !== 'object' || !isValidUserId(user.userId)) {
        logger.error('session.authenticate returned an invalid user', {})
        throw new AuthError('AUTH_UNAVAILABLE', { reason: 'session_hook_invalid' })
      }
      return { userId: user.userId }
    }
  }
  const jwt = session.jwt
  const { key, algorithms } = resolveJwtKey(jwt)
  const mapUserId = jwt.userId
  return async (request) => {
    const token = request.cookies[cookie]
    if (typeof token !== 'string' || token.length === 0) {
      return reject(...missingCookie(request, cookie))
    }
    if (token.length > MAX_SESSION_TOKEN_LENGTH) return reject('token_too_long')
    let payload: SessionClaims
    try {
      const now = options.now()
      ;({ payload } = await jwtVerify(token, key as Parameters<typeof jwtVerify>[1], {
        algorithms,
        issuer: jwt.issuer,
        audience: jwt.audience,
        clockTolerance: jwt.clockToleranceSec ?? 5,
        // With a mapper, which claim names the user is the mapper's business.
        requiredClaims: mapUserId === undefined ? ['exp', 'sub'] : ['exp'],
        currentDate: typeof now === 'number' ? new Date(now) : now,
      }))
    } catch (cause) {
      const rejection = classifyJwtError(cause, logger)
      return reject(rejection.reason, rejection.detail)
    }
    if (mapUserId === undefined) {
      if (!isValidUserId(payload.sub)) {
        return reject('invalid_subject', { claim: 'sub', problem: userIdProblem(payload.sub) })
      }
      return { userId: payload.sub }
    }
    let userId: unknown
    try {
      userId = await mapUserId(payload)
    } catch (cause) {
      if (isAuthError(cause)) throw cause
      logger.error('session.jwt.userId failed', { error: describeError(cause) })
      throw new AuthError('AUTH_UNAVAILABLE', { cause, reason: 'session_user_id_error' })
    }
    if (userId === null || userId === undefined) return reject('no_user')
    if (!isValidUserId(userId)) {
      return reject('invalid_subject', { mapped: true, problem: userIdProblem(userId) })
    }
    return { userId }
  }
}
