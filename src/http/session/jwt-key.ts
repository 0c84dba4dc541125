/**
 * The key a session JWT is verified with, and the algorithms it may use: settled once from the
 * options, never taken from a token.
 * @module
 */
import type { JsonWebKey, KeyObject, webcrypto } from 'node:crypto'
import { createRemoteJWKSet, type JWK, type JWTVerifyGetKey } from 'jose'
import { AuthError } from '../../errors.js'
import { nodeCrypto } from '../../lib/node-crypto.js'
import type { JwtSessionOptions } from '../../options/session.js'
import { algorithmsOfKind, isCryptoKey, webPublicKey } from './web-public-key.js'

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512']
// With a JWKS the key type pins the algorithm family, so symmetric algorithms are never offered.
const JWKS_DEFAULT_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA']

/** What `jwtVerify` takes as the key. */
export type VerifyKey = KeyObject | webcrypto.CryptoKey | JWK | Uint8Array | JWTVerifyGetKey

/**
 * The verification key and algorithms of `session.jwt`. A public key is read with `node:crypto`
 * where the runtime has it (`crypto`, for tests: `undefined` takes the WebCrypto path of
 * workerd). @throws `CONFIGURATION_ERROR`
 */
export function resolveJwtKey(
  jwt: JwtSessionOptions,
  crypto: typeof nodeCrypto = nodeCrypto,
): { key: VerifyKey; algorithms: string[] } {
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
  const { key, derived } =
    crypto === undefined ? webPublicKey(jwt.publicKey) : nodePublicKey(crypto, jwt.publicKey)
  const algorithms = jwt.algorithms ?? derived
  if (algorithms.length === 0 || !algorithms.every((alg) => derived.includes(alg))) {
    throw configError('session.jwt.algorithms do not fit the public key')
  }
  return { key, algorithms }
}

// Reading PEM and JWK keys and their curves with node:crypto (Node, Bun, Deno): every format it
// reads is accepted, as in 0.1.
function nodePublicKey(
  crypto: NonNullable<typeof nodeCrypto>,
  value: unknown,
): { key: KeyObject; derived: string[] } {
  let key: KeyObject
  try {
    if (value instanceof crypto.KeyObject) key = value
    else if (isCryptoKey(value)) key = crypto.KeyObject.from(value)
    else if (typeof value === 'string') key = crypto.createPublicKey({ key: value, format: 'pem' })
    else key = crypto.createPublicKey({ key: value as JsonWebKey, format: 'jwk' })
    if (key.type !== 'public') throw new Error('not a public key')
  } catch (cause) {
    throw new AuthError('CONFIGURATION_ERROR', {
      message: 'session.jwt.publicKey is not a readable public key',
      cause,
    })
  }
  // The algorithms a key can verify; never read from a token header.
  const derived = algorithmsOfKind(key.asymmetricKeyType, key.asymmetricKeyDetails?.namedCurve)
  return { key, derived }
}

function configError(message: string): AuthError {
  return new AuthError('CONFIGURATION_ERROR', { message })
}
