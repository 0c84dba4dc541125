/**
 * Key hashing: only this digest is ever stored.
 * @module
 */
import { AuthError } from './errors.js'
import { nodeCrypto } from './lib/node-crypto.js'
import { createHmacSha256, sha256Hex } from './lib/sha256.js'

// Where the runtime has node:crypto (Node, Bun, Deno) its native hash is used; elsewhere
// (workerd without nodejs_compat, browsers) the synchronous JavaScript one (docs/runtimes.md).
// One-shot `crypto.hash` (Node ≥ 20.12) skips the Hash object; fall back where it is missing.
// A string given to node:crypto's `update` is hashed as UTF-8 (its default encoding).
const oneShot = (
  nodeCrypto as
    { hash?: (algorithm: string, data: string, encoding: 'hex' | 'binary') => string } | undefined
)?.hash

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
  return createKeyHasher(pepper)(key)
}

/**
 * A hasher bound to one pepper, reusing the imported HMAC key.
 * @internal
 */
export function createKeyHasher(pepper?: string | Uint8Array): (key: string) => string {
  checkPepper(pepper)
  const crypto = nodeCrypto
  if (pepper === undefined) {
    // Verification has checked that `key` is a string: no per-call argument checks here.
    const sha256 = oneShot
    if (sha256 !== undefined) return (key) => sha256('sha256', key, 'hex')
    if (crypto === undefined) return sha256Hex
    return (key) => crypto.createHash('sha256').update(key).digest('hex')
  }
  const bytes = pepperBytes(pepper)
  if (crypto === undefined) return createHmacSha256(bytes)
  const secret = crypto.createSecretKey(bytes)
  return (key) => crypto.createHmac('sha256', secret).update(key).digest('hex')
}

/**
 * The same digest as {@link createKeyHasher}'s, as 32 bytes in a one-byte string (`'binary'`, i.e.
 * latin1: each char one byte), where node:crypto can produce it natively; `undefined` elsewhere. The verification
 * cache is keyed by this form: half the characters of the hex form, so both producing it and
 * hashing it as a `Map` key cost less on every cache hit (docs/benchmarks.md, "Binary cache
 * key"). Never stored, logged or sent: it is not the stored digest's form.
 * @internal
 */
export function createBinaryKeyHasher(
  pepper?: string | Uint8Array,
): ((key: string) => string) | undefined {
  checkPepper(pepper)
  const crypto = nodeCrypto
  if (crypto === undefined) return undefined
  if (pepper === undefined) {
    const sha256 = oneShot
    if (sha256 !== undefined) return (key) => sha256('sha256', key, 'binary')
    return (key) => crypto.createHash('sha256').update(key).digest('binary')
  }
  const secret = crypto.createSecretKey(pepperBytes(pepper))
  return (key) => crypto.createHmac('sha256', secret).update(key).digest('binary')
}

/**
 * Constant-time comparison of two hex digests; unequal lengths compare the first with itself so
 * that timing does not depend on where or whether they differ.
 * @internal
 */
export function digestsEqual(a: string, b: string): boolean {
  const same = a.length === b.length
  const other = same ? b : a
  // Every character is visited and folded into `diff`: no early exit on the first difference.
  let diff = same ? 0 : 1
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ other.charCodeAt(i)
  return diff === 0
}

// A copy: the caller's bytes may change later; the string is taken as UTF-8.
function pepperBytes(pepper: string | Uint8Array): Uint8Array {
  return typeof pepper === 'string' ? new TextEncoder().encode(pepper) : pepper.slice()
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
