/**
 * The request signature of GitHub's secret scanning: ECDSA P-256 with SHA-256 over the raw body,
 * base64 of a DER signature in `Github-Public-Key-Signature`, the key named by
 * `Github-Public-Key-Identifier`.
 * @module
 */
import { AuthError } from '../../errors.js'
import { countHeaderLines } from '../../lib/count-header-lines.js'
import { derToRawSignature } from '../../lib/ecdsa-signature.js'
import { decodeBase64 } from '../../lib/spki.js'
import type { AuthRequest } from '../types.js'
import type { KeyResolver } from './key-set.js'

const BASE64 = /^[A-Za-z0-9+/]{8,200}={0,2}$/
// A key id GitHub sends: printable, short; anything else is not worth a key set lookup.
const KEY_ID = /^[\x21-\x7e]{1,128}$/

const unsigned = (reason: string): AuthError => new AuthError('SIGNATURE_INVALID', { reason })

/**
 * Checks the signature of `body`; throws 401 `SIGNATURE_INVALID` when it is missing, malformed,
 * of an unknown key or wrong, and 503 `AUTH_UNAVAILABLE` when the key set cannot be had.
 */
export async function checkSignature(
  request: AuthRequest,
  body: Uint8Array,
  resolveKey: KeyResolver,
): Promise<void> {
  const id = single(request, 'github-public-key-identifier')
  const signature = single(request, 'github-public-key-signature')
  if (id === undefined || signature === undefined) throw unsigned('missing_signature')
  if (!KEY_ID.test(id) || !BASE64.test(signature)) throw unsigned('malformed_signature')
  const key = await resolveKey(id)
  if (key === null) throw unsigned('unknown_key')
  let valid = false
  // DER, as GitHub sends it: a raw r||s signature is refused, not guessed at. WebCrypto takes
  // r||s, so the DER form is checked strictly (as OpenSSL does) and converted.
  const raw = derToRawSignature(decodeBase64(signature) ?? new Uint8Array())
  if (raw !== undefined) {
    try {
      const algorithm = { name: 'ECDSA', hash: 'SHA-256' }
      valid = await crypto.subtle.verify(algorithm, key, raw, body)
    } catch {
      valid = false
    }
  }
  if (!valid) throw unsigned('bad_signature')
}

function single(request: AuthRequest, name: string): string | undefined {
  const value = request.headers[name]
  if (typeof value !== 'string' || countHeaderLines(request.rawHeaders, name) > 1) return undefined
  return value.trim()
}
