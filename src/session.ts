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
  if (session === undefined) {
    return () => Promise.reject(new AuthError('SESSION_REQUIRED', { reason: 'no_session_config' }))
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
      if (user === null || user === undefined) throw new AuthError('SESSION_REQUIRED')
      if (typeof user !== 'object' || !isValidUserId(user.userId)) {
        logger.error('session.authenticate returned an invalid user', {})
        throw new AuthError('AUTH_UNAVAILABLE', { reason: 'session_hook_invalid' })
      }
      return { userId: user.userId }
    }
  }
  const jwt = session.jwt
  const { key, algorithms } = resolveKey(jwt)
  const cookie = options.sessionCookie
  return async (request) => {
    const token = request.cookies[cookie]
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new AuthError('SESSION_REQUIRED')
    }
    let payload: { sub?: unknown }
    try {
      const now = options.now()
      ;({ payload } = await jwtVerify(token, key as Parameters<typeof jwtVerify>[1], {
        algorithms,
        issuer: jwt.issuer,
        audience: jwt.audience,
        clockTolerance: jwt.clockToleranceSec ?? 5,
        requiredClaims: ['exp', 'sub'],
        currentDate: typeof now === 'number' ? new Date(now) : now,
      }))
    } catch (cause) {
      throw classify(cause, logger)
    }
    if (!isValidUserId(payload.sub)) {
      throw new AuthError('SESSION_REQUIRED', { reason: 'invalid_subject' })
    }
    return { userId: payload.sub }
  }
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
function classify(cause: unknown, logger: AuthLogger): AuthError {
  // jose reports a key-set response that is not 200 OK as its generic error.
  const unavailable =
    !(cause instanceof joseErrors.JOSEError) ||
    cause instanceof joseErrors.JWKSTimeout ||
    cause instanceof joseErrors.JWKSInvalid ||
    cause.code === 'ERR_JOSE_GENERIC'
  if (unavailable) {
    logger.error('session key set unavailable', { error: describeError(cause) })
    return new AuthError('AUTH_UNAVAILABLE', { cause, reason: 'jwks_unavailable' })
  }
  return new AuthError('SESSION_REQUIRED', { reason: (cause as joseErrors.JOSEError).code })
}

function configError(message: string): AuthError {
  return new AuthError('CONFIGURATION_ERROR', { message })
}
