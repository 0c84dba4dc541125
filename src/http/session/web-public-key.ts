/**
 * `session.jwt.publicKey` where the runtime has no `node:crypto` (workerd without
 * `nodejs_compat`): the key is read with WebCrypto, through jose, which imports it once per
 * algorithm a token may use. What a key may verify is settled here from the key itself (an SPKI's
 * algorithm identifier, a JWK's `kty`/`crv`, a `CryptoKey`'s algorithm), never from a token.
 * @module
 */
import type { webcrypto } from 'node:crypto'
import { importSPKI, type JWK, type JWTVerifyGetKey } from 'jose'
import { AuthError } from '../../errors.js'
import { pemToSpki, spkiKind } from '../../lib/spki.js'

/** The key for jose and the algorithms the key can verify. */
export interface WebPublicKey {
  key: webcrypto.CryptoKey | JWK | JWTVerifyGetKey
  derived: string[]
}

const RSA = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']

/**
 * The algorithms a key of this kind verifies (`asymmetricKeyType` and curve as node:crypto names
 * them, or WebCrypto's curve names). An RSA-PSS (id-RSASSA-PSS) key is refused: jose cannot
 * verify with it, so every session would be a 503.
 * @throws `CONFIGURATION_ERROR` for an RSA-PSS key
 */
export function algorithmsOfKind(type: string | undefined, curve: string | undefined): string[] {
  switch (type) {
    case 'rsa':
      return [...RSA]
    case 'rsa-pss':
      throw configError(
        'session.jwt.publicKey is an RSA-PSS (id-RSASSA-PSS) key, which jose cannot verify with: give the same key as an RSA (rsaEncryption) key, which verifies PS256, PS384 and PS512 too',
      )
    case 'ec':
      if (curve === 'P-256' || curve === 'prime256v1') return ['ES256']
      if (curve === 'P-384' || curve === 'secp384r1') return ['ES384']
      if (curve === 'P-521' || curve === 'secp521r1') return ['ES512']
      return []
    case 'ed25519':
      return ['EdDSA', 'Ed25519']
    default:
      return []
  }
}

/**
 * Reads a PEM (SPKI), a JWK or a `CryptoKey` without `node:crypto`.
 * @throws `CONFIGURATION_ERROR` when it is not a readable public key
 */
export function webPublicKey(value: unknown): WebPublicKey {
  if (isCryptoKey(value)) return fromCryptoKey(value)
  if (typeof value === 'string') {
    const der = pemToSpki(value)
    const kind = der === undefined ? undefined : spkiKind(der)
    if (kind === undefined) throw unreadable()
    const derived = algorithmsOfKind(kind.type, kind.curve)
    // One import per algorithm a token names (the same key verifies RS256 and PS256 as two
    // WebCrypto keys); jose has already refused an algorithm outside the allowed list.
    const imported = new Map<string, Promise<webcrypto.CryptoKey>>()
    const key: JWTVerifyGetKey = ({ alg }) => {
      let pending = imported.get(alg)
      if (pending === undefined) {
        pending = importSPKI(value, alg)
        imported.set(alg, pending)
      }
      return pending
    }
    return { key, derived }
  }
  if (typeof value === 'object' && value !== null) return fromJwk(value as Record<string, unknown>)
  throw unreadable()
}

// Only the public members: a private JWK is read as its public half, as node:crypto's
// createPublicKey does.
function fromJwk(jwk: Record<string, unknown>): WebPublicKey {
  const text = (name: string): string => {
    const member = jwk[name]
    if (typeof member !== 'string' || !/^[A-Za-z0-9_-]+$/.test(member)) throw unreadable()
    return member
  }
  if (jwk.kty === 'RSA') {
    return { key: { kty: 'RSA', n: text('n'), e: text('e') }, derived: [...RSA] }
  }
  if (jwk.kty === 'EC') {
    const crv = text('crv')
    const derived = algorithmsOfKind('ec', crv)
    if (derived.length === 0) throw unreadable()
    return { key: { kty: 'EC', crv, x: text('x'), y: text('y') }, derived }
  }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    return { key: { kty: 'OKP', crv: 'Ed25519', x: text('x') }, derived: ['EdDSA', 'Ed25519'] }
  }
  throw unreadable()
}

// A CryptoKey is bound to one algorithm (and hash): it verifies that one only.
function fromCryptoKey(key: webcrypto.CryptoKey): WebPublicKey {
  if (key.type !== 'public') throw unreadable()
  const algorithm = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } }
  const bits = algorithm.hash?.name.replace('SHA-', '')
  const derived =
    algorithm.name === 'RSASSA-PKCS1-v1_5'
      ? [`RS${bits}`]
      : algorithm.name === 'RSA-PSS'
        ? [`PS${bits}`]
        : algorithm.name === 'ECDSA'
          ? algorithmsOfKind('ec', algorithm.namedCurve)
          : algorithm.name === 'Ed25519'
            ? ['EdDSA', 'Ed25519']
            : []
  return { key, derived }
}

/** Whether `value` is a WebCrypto `CryptoKey` of this runtime. */
export function isCryptoKey(value: unknown): value is webcrypto.CryptoKey {
  const CryptoKeyClass = (globalThis as { CryptoKey?: abstract new () => unknown }).CryptoKey
  return CryptoKeyClass !== undefined && value instanceof CryptoKeyClass
}

function unreadable(): AuthError {
  return configError('session.jwt.publicKey is not a readable public key')
}

function configError(message: string): AuthError {
  return new AuthError('CONFIGURATION_ERROR', { message })
}
