/**
 * Key hashing: only this digest is ever stored.
 * @module
 */
import * as crypto from 'node:crypto'
import { AuthError } from './errors.js'

// One-shot `crypto.hash` (Node ≥ 20.12) skips the Hash object; fall back where it is missing.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string })
  .hash

/**
 * Hex digest of a key: SHA-256, or HMAC-SHA256 keyed with `pepper` when one is given. A fast hash
 * is right here: keys carry ~190 random bits, so a slow KDF would only cost CPU per request.
 *
 * @example
 * ```ts
 * hashApiKey(key)                              // sha256(key), hex
 * hashApiKey(key, process.env.API_KEY_PEPPER)  // hmac-sha256(pepper, key), hex
 * ```
 */
export function hashApiKey(key: string, pepper?: string | Uint8Array): string {
  if (typeof key !== 'string') throw new AuthError('INVALID_FORMAT')
  checkPepper(pepper)
  if (pepper !== undefined) {
    return crypto.createHmac('sha256', pepper).update(key, 'utf8').digest('hex')
  }
  if (oneShot !== undefined) return oneShot('sha256', key, 'hex')
  return crypto.createHash('sha256').update(key, 'utf8').digest('hex')
}

/**
 * A hasher bound to one pepper, reusing the imported HMAC key.
 * @internal
 */
export function createKeyHasher(pepper?: string | Uint8Array): (key: string) => string {
  checkPepper(pepper)
  if (pepper === undefined) {
    // Verification has checked that `key` is a string: no per-call argument checks here.
    const sha256 = oneShot
    return sha256 === undefined
      ? (key) => crypto.createHash('sha256').update(key, 'utf8').digest('hex')
      : (key) => sha256('sha256', key, 'hex')
  }
  const secret = crypto.createSecretKey(
    typeof pepper === 'string' ? Buffer.from(pepper, 'utf8') : Buffer.from(pepper),
  )
  return (key) => crypto.createHmac('sha256', secret).update(key, 'utf8').digest('hex')
}

/**
 * Constant-time comparison of two hex digests; unequal lengths compare the first with itself so
 * that timing does not depend on where or whether they differ.
 * @internal
 */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8')
  const right = Buffer.from(b, 'utf8')
  if (left.length !== right.length) {
    crypto.timingSafeEqual(left, left)
    return false
  }
  return crypto.timingSafeEqual(left, right)
}

// A pepper of another type, or an empty one, must not be silently ignored: that would store
// plain SHA-256 digests while the caller believes they are peppered.
function checkPepper(pepper: unknown): void {
  if (pepper === undefined) return
  if (typeof pepper !== 'string' && !(pepper instanceof Uint8Array)) {
    throw new AuthError('CONFIGURATION_ERROR', { message: 'The pepper must be a string or bytes' })
  }
  if (pepper.length === 0) {
    throw new AuthError('CONFIGURATION_ERROR', { message: 'The pepper must not be empty' })
  }
}
