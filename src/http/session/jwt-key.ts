/**
 * The key a session JWT is verified with, and the algorithms it may use: settled once from the
 * options, never taken from a token.
 * @module
 */
import type { JsonWebKey, KeyObject, webcrypto } from 'node:crypto'
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose'
import { AuthError } from '../../errors.js'
import { nodeCrypto } from '../../lib/node-crypto.js'
import type { JwtSessionOptions } from '../../options/session.js'

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512']
// With a JWKS the key type pins the algorithm family, so symmetric algorithms are never offered.
const JWKS_DEFAULT_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA']

/** What `jwtVerify` takes as the key. */
export type VerifyKey = KeyObject | Uint8Array | JWTVerifyGetKey

/** The verification key and algorithms of `session.jwt`. @throws `CONFIGURATION_ERROR` */
export function resolveJwtKey(jwt: JwtSessionOptions): { key: VerifyKey; algorithms: string[] } {
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
  // Reading PEM and JWK keys and their curves is node:crypto's; a runtime without it (workerd
  // without nodejs_compat) takes a secret or a jwksUrl instead (docs/runtimes.md).
  const crypto = nodeCrypto
  if (crypto === undefined) {
    throw configError(
      'session.jwt.publicKey needs node:crypto, which this runtime lacks: use session.jwt.jwksUrl or session.jwt.secret',
    )
  }
  try {
    let key: KeyObject
    if (value instanceof crypto.KeyObject) key = value
    else if (isCryptoKey(value)) key = crypto.KeyObject.from(value)
    else if (typeof value === 'string') key = crypto.createPublicKey({ key: value, format: 'pem' })
    else key = crypto.createPublicKey({ key: value as JsonWebKey, format: 'jwk' })
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
      // jose cannot verify with an id-RSASSA-PSS key ("Unsupported JWK Key Type"): every session
      // would be a 503. Refuse it at start-up, saying what works instead.
      throw configError(
        'session.jwt.publicKey is an RSA-PSS (id-RSASSA-PSS) key, which jose cannot verify with: give the same key as an RSA (rsaEncryption) key, which verifies PS256, PS384 and PS512 too',
      )
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

function configError(message: string): AuthError {
  return new AuthError('CONFIGURATION_ERROR', { message })
}
