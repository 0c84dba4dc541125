/**
 * Session authentication for the key-management routes: a JWT in a cookie, verified with
 * `jose`, or the application's own `session.authenticate` hook.
 * @module
 */
import { createPublicKey, type JsonWebKey, KeyObject, webcrypto } from 'node:crypto'
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose'
import { isValidUserId } from './api-key.js'
import { AuthError, isAuthError } from './errors.js'
import {
  type AuthLogger,
  type JwtSessionOptions,
  type SessionClaims,
  type SessionLogLevel,
  type SessionOptions,
  type SessionRequest,
  sessionOptionsOf,
} from './options.js'
import { describeError } from './lib/describe-error.js'

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

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512']
// With a JWKS the key type pins the algorithm family, so symmetric algorithms are never offered.
const JWKS_DEFAULT_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA']
const MAX_TOKEN_LENGTH = 8192

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
  const { key, algorithms } = resolveKey(jwt)
  const mapUserId = jwt.userId
  return async (request) => {
    const token = request.cookies[cookie]
    if (typeof token !== 'string' || token.length === 0) {
      return reject(...missingCookie(request, cookie))
    }
    if (token.length > MAX_TOKEN_LENGTH) return reject('token_too_long')
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
      const rejection = classify(cause, logger)
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
export function createSessionRejectionLog(
  options: Pick<SessionVerifierOptions, 'session' | 'sessionCookie' | 'logger'>,
): (reason: SessionRejectionReason, detail?: Record<string, unknown>) => void {
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
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env
  return env?.NODE_ENV === 'production' ? false : 'info'
}

const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/
const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/

/** True when `value` looks like a compact JWS (no verification). @internal */
export function looksLikeJwt(value: unknown): boolean {
  return typeof value === 'string' && value.length <= MAX_TOKEN_LENGTH && JWT_SHAPE.test(value)
}

/** True when an `Authorization` header carries `Bearer <something JWT-shaped>`. @internal */
export function isBearerJwt(header: unknown): boolean {
  if (typeof header !== 'string') return false
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header)
  return match !== null && looksLikeJwt(match[1])
}

// No session cookie: say where the token went instead, if we can tell without trusting it.
function missingCookie(
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
function userIdProblem(value: unknown): string {
  if (typeof value !== 'string')
    return value === undefined ? 'missing' : `not a string (${typeof value})`
  if (value.length === 0) return 'empty'
  if (value.length > 64) return `longer than 64 characters (${value.length})`
  return 'has characters outside [A-Za-z0-9_-]'
}

type VerifyKey = KeyObject | Uint8Array | JWTVerifyGetKey

function resolveKey(jwt: JwtSessionOptions): { key: VerifyKey; algorithms: string[] } {
  if (jwt.secret !== undefined) {
    const algorithms = jwt.algorithms ?? ['HS256']
    if (!algorithms.every((alg) => HMAC_ALGORITHMS.includes(alg))) {
      throw configError('session.jwt.algorithms must be HS256, HS384 or HS512 with a secret')
    }
    const key = typeof jwt.secret === 'string' ? new TextEncoder().encode(jwt.secret) : jwt.secret
    return { key, algorithms }
  }
  if (jwt.jwksUrl !== undefined) {
    const algorithms = jwt.algorithms ?? JWKS_DEFAULT_ALGORITHMS
    if (algorithms.some((alg) => HMAC_ALGORITHMS.includes(alg))) {
      throw configError('session.jwt.algorithms cannot be HMAC with a jwksUrl')
    }
    return { key: createRemoteJWKSet(new URL(String(jwt.jwksUrl))), algorithms }
  }
  const key = toPublicKey(jwt.publicKey)
  const derived = algorithmsFor(key)
  const algorithms = jwt.algorithms ?? derived
  if (algorithms.length === 0 || !algorithms.every((alg) => derived.includes(alg))) {
    throw configError('session.jwt.algorithms do not fit the public key')
  }
  return { key, algorithms }
}

function toPublicKey(value: unknown): KeyObject {
  try {
    let key: KeyObject
    if (value instanceof KeyObject) key = value
    else if (isCryptoKey(value)) key = KeyObject.from(value)
    else if (typeof value === 'string') key = createPublicKey({ key: value, format: 'pem' })
    else key = createPublicKey({ key: value as JsonWebKey, format: 'jwk' })
    if (key.type !== 'public') throw new Error('not a public key')
    return key
  } catch (cause) {
    throw new AuthError('CONFIGURATION_ERROR', {
      message: 'session.jwt.publicKey is not a readable public key',
      cause,
    })
  }
}

function isCryptoKey(value: unknown): value is webcrypto.CryptoKey {
  const CryptoKeyClass = (globalThis as { CryptoKey?: abstract new () => unknown }).CryptoKey
  return CryptoKeyClass !== undefined && value instanceof CryptoKeyClass
}

// The algorithms a key can verify; never read from a token header.
function algorithmsFor(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512']
    case 'ec':
      return ecAlgorithm(key.asymmetricKeyDetails?.namedCurve)
    case 'ed25519':
      return ['EdDSA', 'Ed25519']
    default:
      return []
  }
}

function ecAlgorithm(curve: string | undefined): string[] {
  if (curve === 'P-256' || curve === 'prime256v1') return ['ES256']
  if (curve === 'P-384' || curve === 'secp384r1') return ['ES384']
  if (curve === 'P-521' || curve === 'secp521r1') return ['ES512']
  return []
}

// A token the verifier rejects is the client's problem (401); a key set that cannot be fetched
// is ours (503), and must not look like a bad session.
function classify(
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

function configError(message: string): AuthError {
  return new AuthError('CONFIGURATION_ERROR', { message })
}
